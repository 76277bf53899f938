// Feedback a person notices without looking: a short tone and a vibration per outcome.
let audio = null;

export function unlockAudio() {
  // browsers start audio only after a gesture; the first tap or key press opens it
  if (audio || !window.AudioContext) return;
  audio = new AudioContext();
}

const TONES = {
  ok: [[1046, 0.07]],
  queued: [[660, 0.06], [880, 0.06]],
  unknown: [[440, 0.12]],
  refused: [[220, 0.12], [180, 0.18]],
  warning: [[330, 0.1], [262, 0.14]],
  context: [[784, 0.05]],
};
const BUZZ = { ok: 40, queued: [30, 40, 30], unknown: 120, refused: [90, 60, 90], warning: [90, 60, 90], context: 20 };

export function signal(kind) {
  if (navigator.vibrate) navigator.vibrate(BUZZ[kind] ?? 40);
  if (!audio) return;
  if (audio.state === "suspended") audio.resume();
  let at = audio.currentTime;
  for (const [freq, length] of TONES[kind] ?? TONES.ok) {
    const osc = audio.createOscillator();
    const gain = audio.createGain();
    osc.type = "square";
    osc.frequency.value = freq;
    gain.gain.setValueAtTime(0.08, at);
    gain.gain.exponentialRampToValueAtTime(0.001, at + length);
    osc.connect(gain).connect(audio.destination);
    osc.start(at);
    osc.stop(at + length);
    at += length + 0.03;
  }
}
