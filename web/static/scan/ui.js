// The page's few moving parts: the result banner, the list of recent scans, the pills.
import { formatClock } from "./time.js";

const $ = (id) => document.getElementById(id);
const MAX_RECENT = 30;

export const el = $;

// A banner says each thing once. The server's sentence is often both the title and the
// first part of the detail (a refusal's message and its error detail differ only in case),
// so a detail part that the title already says is dropped, and a detail that starts with
// the title keeps only what it adds.
export function once(title, text) {
  const norm = (s) => s.trim().replace(/[\s.]+$/, "").toLowerCase();
  const said = norm(title);
  if (!said || !text) return text || "";
  return text
    .split(" · ")
    .map((part) => (norm(part).startsWith(said) ? part.trim().slice(said.length).replace(/^[\s.,:;·–—-]+/, "") : part))
    .filter((part) => norm(part) && !said.includes(norm(part)))
    .join(" · ");
}

// The code typed in the field waits for the page's answer: taken, it is cleared for the
// next; refused or unknown, it stays, selected, so a typo is fixed rather than retyped.
let typed = null;
export function awaitAnswer(input) {
  typed = input.value.trim() ? { input, code: input.value } : null;
}

function answerTyped(state) {
  const { input, code } = typed;
  typed = null;
  if (["refused", "unknown", "warning"].includes(state)) {
    input.focus();
    input.select();
  } else if (input.value === code) {
    input.value = "";
  }
}

export function banner(state, title, text = "") {
  const box = $("banner");
  box.dataset.state = state;
  delete box.dataset.kept; // outbox.js marks a banner that counts down to its next try
  $("banner-title").textContent = title;
  $("banner-text").textContent = once(title, text);
  if (typed) answerTyped(state);
  // restart the flash so two identical outcomes in a row still show as new
  box.classList.remove("flash");
  void box.offsetWidth;
  box.classList.add("flash");
}

// The second line only, without a new flash: a countdown ticking.
export function bannerText(text) {
  $("banner-text").textContent = text;
}

export function showUndo(label, onUndo) {
  const button = $("undo");
  if (!onUndo) {
    button.hidden = true;
    button.onclick = null;
    return;
  }
  button.textContent = label;
  button.hidden = false;
  button.onclick = () => {
    button.hidden = true;
    onUndo();
  };
}

function time(iso) {
  return formatClock(iso ? new Date(iso) : new Date());
}

// One row per scan, keyed by its idempotency key so a queued row can turn into its result.
export function recent(key, { state, title, text, at }) {
  const list = $("recent");
  let row = key ? list.querySelector(`[data-key="${CSS.escape(key)}"]`) : null;
  if (!row) {
    row = document.createElement("li");
    if (key) row.dataset.key = key;
    row.innerHTML = '<span class="dot" aria-hidden="true"></span><span class="what"><b></b><small></small></span><time></time>';
    list.prepend(row);
    while (list.children.length > MAX_RECENT) list.lastElementChild.remove();
  }
  row.dataset.state = state;
  row.querySelector("b").textContent = title;
  row.querySelector("small").textContent = once(title, text);
  row.querySelector("time").textContent = time(at);
  return row;
}

export function network(online) {
  const pill = $("net");
  pill.dataset.state = online ? "online" : "offline";
  pill.textContent = online ? "Online" : "Offline";
}

export function queued(n) {
  const pill = $("queue");
  pill.hidden = n === 0;
  pill.textContent = `${n} queued`;
  pill.dataset.count = String(n);
}
