// Kiosk mode, for the door. A badge (a P- tag, or a badge code the server knows) always
// starts its holder's turn, even when the last borrower walked off without tapping Done;
// what is scanned next is checked out to whoever's turn it is, shown in large type. An
// item scanned with nobody's turn open is returned. After a pause with no scan (?reset=ms)
// the screen waits for the next badge. Someone whose badge will not scan finds their name
// and confirms it. The screen stays in kiosk mode (across reloads) until the kiosk PIN or a
// manager's login lets it go; a kiosk account is logged out then.
import * as api from "./api.js";
import { renderContext, setMode, setPerson } from "./context.js";
import { signal } from "./feedback.js";
import { MODES } from "./modes.js";
import { lookup, scanBody, send } from "./send.js";
import { formatDue } from "./time.js";
import { body, forget, KIOSK_RESET_MS, state } from "./state.js";
import * as ui from "./ui.js";

const $ = ui.el;
const LOCK = "tt.kiosk"; // "locked": this screen stays a kiosk until it is unlocked
export const KIOSK_ACCOUNT = body.dataset.role === "kiosk";
const LOAN_DAYS = Number(body.dataset.loanDays || 0);

export function kioskLocked() {
  return KIOSK_ACCOUNT || localStorage.getItem(LOCK) === "locked";
}

export function lockKiosk() {
  localStorage.setItem(LOCK, "locked");
}

export async function kioskScan(c, meta) {
  if (c.kind === "person") return startTurn(c.tag, await nameOf(c.code, c.tag));
  if (c.kind === "code") {
    const found = await lookup(c.code); // a badge code, or something to borrow or return
    if (found?.resolved?.kind === "person") return startTurn(found.resolved.tag, found.resolved.record?.name);
  }
  return send(scanBody(state.person ? "check_out" : "check_in", c.code), meta);
}

async function nameOf(code, tag) {
  const found = await lookup(code);
  return found?.resolved?.tag === tag ? found.resolved.record?.name || "" : "";
}

async function startTurn(tag, name = "") {
  const before = state.person;
  closeNames();
  if (before?.tag !== tag) {
    await setPerson(tag, name);
    $("kiosk-due").hidden = true;
  }
  kioskTouch();
  const who = state.person?.name || tag;
  const ended = before && before.tag !== tag ? `${before.name || before.tag}'s turn has ended. ` : "";
  ui.banner("context", `${who}'s turn`, `${ended}Scan what you take, then tap Done.`);
  signal("context");
}

export function renderKiosk() {
  const person = state.person;
  $("kiosk-turn").textContent = person ? person.name || person.tag : "Nobody yet";
  $("kiosk-turn").dataset.tag = person?.tag || "";
  // with nobody's turn open the banner says what to do: the prompt would only repeat it
  $("kiosk-prompt").hidden = !person;
  $("kiosk-prompt").textContent = `Scan what you take, then tap Done.${LOAN_DAYS ? ` Usual loan: ${plural(LOAN_DAYS, "day")}.` : ""}`;
  $("kiosk-done").hidden = !person;
}

// After a check-out at the kiosk: when it is due back, in words the borrower reads.
export function kioskResult(scan, result) {
  if (state.mode !== "kiosk" || scan.action !== "check_out" || !result.ok) return;
  const due = result.resolved?.record?.due_at;
  const box = $("kiosk-due");
  box.hidden = false;
  box.textContent = due
    ? `Due back ${formatDue(due)}`
    : "No due date";
}

function plural(n, word) {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

export function kioskTouch() {
  clearTimeout(state.kioskTimer);
  if (state.mode === "kiosk") state.kioskTimer = setTimeout(kioskReset, KIOSK_RESET_MS);
}

export function kioskReset() {
  clearTimeout(state.kioskTimer);
  state.person = null;
  forget();
  closeNames();
  $("kiosk-due").hidden = true;
  renderContext();
  if (state.mode === "kiosk") ui.banner("idle", "Welcome", MODES.kiosk.help);
}

/* ---------- a badge that will not scan: find your name, then confirm ---------- */

let searchTimer = 0;
let chosen = null;

function openNames() {
  $("kiosk-names").hidden = false;
  $("kiosk-name").hidden = true;
  $("kiosk-name-q").value = "";
  $("kiosk-name-list").replaceChildren();
  $("kiosk-confirm").hidden = true;
  $("kiosk-name-q").focus();
  kioskTouch();
  findNames("");
}

function closeNames() {
  chosen = null;
  $("kiosk-names").hidden = true;
  $("kiosk-name").hidden = false;
  $("kiosk-confirm").hidden = true;
  if (document.activeElement === $("kiosk-name-q")) document.activeElement.blur();
}

async function findNames(q) {
  kioskTouch();
  const answer = await api.get(`/api/v1/kiosk/people?${new URLSearchParams({ q })}`).catch(() => null);
  if ($("kiosk-name-q").value.trim() !== q) return; // typed on meanwhile: a newer search runs
  const list = $("kiosk-name-list");
  list.replaceChildren();
  const people = answer?.people || [];
  if (!people.length) {
    const none = document.createElement("li");
    none.className = "muted";
    none.textContent = answer ? "Nobody by that name. Ask at the desk." : "Names need a connection.";
    list.append(none);
  }
  for (const p of people) {
    const row = document.createElement("li");
    const pick = document.createElement("button");
    pick.type = "button";
    pick.className = "wide";
    pick.textContent = p.name;
    pick.dataset.tag = p.tag;
    pick.addEventListener("click", () => confirmName(p));
    row.append(pick);
    list.append(row);
  }
}

function confirmName(p) {
  chosen = p;
  kioskTouch();
  $("kiosk-confirm-text").textContent = `Are you ${p.name}?`;
  $("kiosk-confirm").hidden = false;
  $("kiosk-confirm-yes").focus();
}

/* ---------- leaving kiosk mode: the PIN, or a manager's login ---------- */

function openUnlock() {
  clearTimeout(state.kioskTimer);
  const form = $("kiosk-unlock");
  form.hidden = false;
  form.reset();
  $("kiosk-unlock-error").textContent = "";
  $("kiosk-pin").focus();
}

function closeUnlock() {
  $("kiosk-unlock").hidden = true;
  kioskTouch();
}

async function unlock(event) {
  event.preventDefault();
  const pin = $("kiosk-pin").value.trim();
  const username = $("kiosk-user").value.trim();
  const body = username ? { username, password: $("kiosk-password").value } : { pin };
  let answer;
  try {
    answer = await api.post("/api/v1/kiosk/unlock", body);
  } catch {
    answer = null;
  }
  if (answer?.status !== 200) {
    const why = answer?.data?.detail || "No connection: leaving kiosk mode needs the server.";
    $("kiosk-unlock-error").textContent = why[0].toUpperCase() + why.slice(1);
    $("kiosk-pin").value = "";
    $("kiosk-password").value = "";
    signal("refused");
    return;
  }
  $("kiosk-unlock").hidden = true;
  localStorage.removeItem(LOCK);
  if (answer.data.logged_out) {
    location.assign("/login?next=/scan");
    return;
  }
  setMode("lookup");
  ui.banner("ok", "Kiosk mode ended", `Unlocked by ${answer.data.by === "PIN" ? "the kiosk PIN" : answer.data.by}.`);
}

export function wireKiosk() {
  $("kiosk-done").addEventListener("click", kioskReset);
  $("kiosk-exit").addEventListener("click", openUnlock);
  $("kiosk-unlock").addEventListener("submit", unlock);
  $("kiosk-unlock-cancel").addEventListener("click", closeUnlock);
  $("kiosk-name").addEventListener("click", openNames);
  $("kiosk-names-close").addEventListener("click", closeNames);
  $("kiosk-name-q").addEventListener("input", (e) => {
    clearTimeout(searchTimer);
    $("kiosk-confirm").hidden = true;
    searchTimer = setTimeout(() => findNames(e.target.value.trim()), 200);
  });
  $("kiosk-confirm-no").addEventListener("click", () => {
    chosen = null;
    $("kiosk-confirm").hidden = true;
    $("kiosk-name-q").focus();
  });
  $("kiosk-confirm-yes").addEventListener("click", () => {
    if (chosen) startTurn(chosen.tag, chosen.name);
  });
}
