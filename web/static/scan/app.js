// The scanning page: one place where every code arrives (camera, scanner keys, typing),
// is classified, gets its context, and is sent, or queued while offline. The parts live
// next door: context.js (mode, location, person), send.js and outbox.js (sending and the
// offline queue), results.js, undo.js, audit.js, kiosk.js, source.js (counted items).
import { finishAudit, resumeAudit } from "./audit.js";
import { Camera } from "./camera.js";
import { classify } from "./codes.js";
import { fillPickers, loadPickLists, pickList, renderContext, restoreContext, setLocation, setMode, setPerson } from "./context.js";
import { unlockAudio } from "./feedback.js";
import { listenForScanner } from "./keys.js";
import { kioskScan, kioskTouch, wireKiosk } from "./kiosk.js";
import { wireCheckout } from "./checkout.js";
import { MODES, NEEDS } from "./modes.js";
import { flush, retryNow, showQueued, wentOffline } from "./outbox.js";
import { lookup, scanBody, send } from "./send.js";
import { hideSource, sendFromSource } from "./source.js";
import { body, forget, PUBLIC_URL, refuse, SAME_CODE_MS, state } from "./state.js";
import * as ui from "./ui.js";

const $ = ui.el;

function handleCode(raw, source, t0 = performance.now(), decodeMs = 0) {
  const code = raw.trim();
  if (!code) return;
  const now = performance.now();
  if (code === state.last.code && now - state.last.at < SAME_CODE_MS) {
    state.last.at = now; // a label held in view stays one scan
    return;
  }
  state.last = { code, at: now };
  kioskTouch();
  const c = classify(code, PUBLIC_URL);
  const mode = state.mode;
  const meta = { source, t0, decodeMs };
  if ((c.kind === "location" || c.kind === "person") && !c.valid) {
    return refuse(`${c.tag} is not a valid tag`, "The check digit does not match: rescan or retype it.");
  }
  if (c.kind === "location" && mode === "audit" && state.audit) {
    return send(scanBody("audit", c.code), meta); // counting a sub-location now
  }
  if (c.kind === "location" && ["move", "check_in", "receive", "consume", "audit"].includes(mode)) {
    return setLocation(c.tag);
  }
  if (mode === "kiosk" && c.kind !== "location") return kioskScan(c, meta); // a badge starts a turn
  if (c.kind === "person" && mode === "check_out") return setPerson(c.tag);
  if (mode !== "lookup" && (c.kind === "location" || c.kind === "person")) {
    return refuse(`That is a ${c.kind} label`, MODES[mode].help);
  }
  if (mode === "check_out" && !state.person) return personFirst(c);
  const need = MODES[mode].needs;
  if (need && !state[need]) return refuse("Not yet", NEEDS[need]);
  return send(scanBody(mode, c.code), meta);
}

// In check-out, a code that is no P- tag may still be a badge: ask the server what it is.
async function personFirst(c) {
  const found = await lookup(c.code);
  if (found?.resolved?.kind === "person") return setPerson(found.resolved.tag, found.resolved.record?.name);
  refuse("Who is taking it?", NEEDS.person);
}

/* ---------- camera ---------- */

const camera = new Camera($("video"), (texts, frameTime, decodeMs) => {
  for (const text of texts) handleCode(text, "camera", frameTime, decodeMs);
});

async function toggleCamera() {
  const button = $("camera");
  if (camera.running) {
    camera.stop();
    localStorage.setItem("tt.camera", "off");
  } else {
    button.textContent = "Starting…";
    try {
      await camera.start();
      localStorage.setItem("tt.camera", "on");
      body.dataset.decoder = camera.decoderKind;
    } catch (error) {
      refuse("No camera", `${error.name === "NotAllowedError" ? "Camera access was refused." : error.message} Type or scan with a scanner instead.`);
    }
  }
  body.classList.toggle("camera-on", camera.running);
  button.textContent = camera.running ? "Stop camera" : "Start camera";
  $("torch").hidden = !camera.hasTorch;
}

/* ---------- wiring ---------- */

function wire() {
  for (const b of document.querySelectorAll("#modes button")) b.addEventListener("click", () => setMode(b.dataset.mode));
  $("manual").addEventListener("submit", (event) => {
    event.preventDefault();
    const input = $("code");
    const t0 = performance.now();
    forget(); // typed on purpose: never swallowed as a double read
    ui.awaitAnswer(input); // cleared once taken; a refused code stays to be fixed
    handleCode(input.value, "typed", t0);
  });
  $("camera").addEventListener("click", toggleCamera);
  $("torch").addEventListener("click", async () => {
    const on = await camera.toggleTorch().catch(() => false);
    $("torch").setAttribute("aria-pressed", String(on));
  });
  $("pick-location").addEventListener("change", (e) => {
    const tag = e.target.value;
    e.target.value = "";
    if (tag) setLocation(tag);
  });
  $("pick-person").addEventListener("change", (e) => {
    const tag = e.target.value;
    e.target.value = "";
    if (tag) setPerson(tag, pickList("person").find((p) => p.tag === tag)?.name);
  });
  $("clear-location").addEventListener("click", () => {
    state.location = null;
    state.audit = null;
    renderContext();
  });
  $("finish").addEventListener("click", () => {
    const who = state.person?.name || state.person?.tag;
    state.person = null;
    renderContext();
    ui.banner("idle", who ? `Finished with ${who}` : "Finished", MODES.check_out.help);
  });
  $("source-send").addEventListener("click", sendFromSource);
  $("source-cancel").addEventListener("click", hideSource);
  wireKiosk();
  wireCheckout();
  $("audit-finish").addEventListener("click", finishAudit);
  for (const type of ["pointerdown", "keydown"]) document.addEventListener(type, unlockAudio, { once: true });
  listenForScanner((code, t0) => handleCode(code, "scanner", t0), (_, gapMs) =>
    refuse("Partial read, scan again", `The scanner's keys stopped or slowed before the end of the code. If this keeps happening, open this page with ?wedge_ms=${gapMs * 2} to allow slower scanners.`));
  addEventListener("online", () => {
    ui.network(true);
    retryNow();
    loadPickLists();
  });
  addEventListener("offline", () => {
    ui.network(false);
    wentOffline();
  });
}

async function main() {
  wire();
  ui.network(navigator.onLine);
  const params = new URLSearchParams(location.search);
  setMode(restoreContext(params.get("mode"))); // the last mode, target and person, offline too
  fillPickers();
  await showQueued();
  if (params.get("location")) await setLocation(params.get("location").toUpperCase());
  if (params.get("person")) await setPerson(params.get("person").toUpperCase());
  if (params.get("audit") && state.mode === "audit") await resumeAudit(params.get("audit"));
  if (navigator.onLine) flush();
  loadPickLists();
  if ("serviceWorker" in navigator) registerWorker(3);
  if (params.get("camera") === "on" || (params.get("camera") !== "off" && localStorage.getItem("tt.camera") === "on")) toggleCamera();
  body.dataset.ready = "true";
}

// Offline use depends on the service worker: on bad Wi-Fi its first install can fail, so
// try again a little later rather than wait for the next visit.
function registerWorker(tries) {
  navigator.serviceWorker.register("/sw.js").catch(() => {
    if (tries > 1) setTimeout(() => registerWorker(tries - 1), 3000);
  });
}

main();
