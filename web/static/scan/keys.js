// Hardware scanners in keyboard mode type the code fast and press Enter. Keys that arrive
// in a quick burst outside any text field are gathered and handed over on Enter; a person
// typing slowly is ignored here (the manual field is for that).
const GAP_MS = 60; // a scanner types a key every few ms; people take 100 ms or more
const MIN_LENGTH = 3;

function editable(el) {
  return el && (el.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName));
}

export function listenForScanner(onCode) {
  let buffer = "";
  let last = 0;
  document.addEventListener("keydown", (event) => {
    if (event.ctrlKey || event.altKey || event.metaKey || editable(event.target)) return;
    const now = performance.now();
    if (now - last > GAP_MS) buffer = "";
    last = now;
    if (event.key === "Enter" || event.key === "Tab") {
      if (buffer.length >= MIN_LENGTH) {
        event.preventDefault();
        const code = buffer;
        buffer = "";
        onCode(code, now);
      }
      buffer = "";
    } else if (event.key.length === 1) {
      buffer += event.key;
      if (event.key === " ") event.preventDefault(); // no page scroll mid-code
    }
  });
}
