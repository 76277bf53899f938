// The page's few moving parts: the result banner, the list of recent scans, the pills.
import { formatClock } from "./time.js";

const $ = (id) => document.getElementById(id);
const MAX_RECENT = 30;

export const el = $;

export function banner(state, title, text = "") {
  const box = $("banner");
  box.dataset.state = state;
  delete box.dataset.kept; // outbox.js marks a banner that counts down to its next try
  $("banner-title").textContent = title;
  $("banner-text").textContent = text;
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
  row.querySelector("small").textContent = text || "";
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
