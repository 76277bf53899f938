// Hardware scanners in keyboard mode ("wedge") type the code and press Enter. Keys outside
// any text field are gathered, and a run of them that ends in Enter is a scan when no gap
// between two keys was longer than the wedge gap. Scanners differ a lot (USB ones type a key
// every few ms, some Bluetooth ones every 100 ms or more), so the gap is generous: 150 ms by
// default, `?wedge_ms=` sets it and this device keeps it. A run that is not a clean read (a
// gap too long, or keys that stop without Enter) is never sent, since the rest of a cut
// read would be a wrong code: the page says "partial read, scan again" instead.
const DEFAULT_WEDGE_MS = 150;
const MIN_LENGTH = 3;
const KEPT = "tt.wedge_ms";

function editable(el) {
  return el && (el.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName));
}

export function wedgeGap() {
  const given = Number(new URLSearchParams(location.search).get("wedge_ms"));
  if (given > 0) localStorage.setItem(KEPT, String(Math.min(given, 2000)));
  const kept = Number(localStorage.getItem(KEPT));
  return kept > 0 ? kept : DEFAULT_WEDGE_MS;
}

export function listenForScanner(onCode, onPartial) {
  const gapMs = wedgeGap();
  const pauseMs = Math.max(4 * gapMs, 600); // keys after a pause this long start a new run
  let run = "";
  let last = 0;
  let slowest = 0;
  let idle = 0;

  const reset = () => {
    run = "";
    slowest = 0;
  };
  const cut = () => {
    if (run.length >= MIN_LENGTH) onPartial(run, gapMs);
    reset();
  };

  document.addEventListener("keydown", (event) => {
    if (event.ctrlKey || event.altKey || event.metaKey || editable(event.target)) return;
    const now = performance.now();
    const gap = now - last;
    last = now;
    clearTimeout(idle);
    if (gap > pauseMs) reset();
    if (event.key === "Enter" || event.key === "Tab") {
      if (run.length >= MIN_LENGTH) {
        event.preventDefault();
        if (slowest <= gapMs) onCode(run, now);
        else onPartial(run, gapMs);
      }
      reset();
    } else if (event.key.length === 1) {
      if (run) slowest = Math.max(slowest, gap);
      run += event.key;
      if (event.key === " ") event.preventDefault(); // no page scroll mid-code
      idle = setTimeout(cut, pauseMs); // keys that stop without Enter: a cut read
    }
  });
}
