// The mode and the context a scan carries: target location, person, and the pick lists
// kept on the device so they work offline.
import * as api from "./api.js";
import { renderAudit, startAudit } from "./audit.js";
import { signal } from "./feedback.js";
import { kioskLocked, kioskReset, kioskTouch, lockKiosk, renderKiosk } from "./kiosk.js";
import { hideLot } from "./lotprompt.js";
import { MODES } from "./modes.js";
import { hideSource } from "./source.js";
import { body, CAN_OPERATE, forget, state } from "./state.js";
import * as ui from "./ui.js";

const $ = ui.el;

export function setMode(mode, { quiet = false } = {}) {
  if (!MODES[mode] || (!CAN_OPERATE && mode !== "lookup")) mode = "lookup";
  if (kioskLocked()) mode = "kiosk"; // left only with the PIN or a manager's login
  if (mode === "kiosk") lockKiosk();
  state.mode = mode;
  forget();
  localStorage.setItem("tt.mode", mode);
  for (const b of document.querySelectorAll("#modes button")) {
    b.setAttribute("aria-pressed", String(b.dataset.mode === mode));
  }
  const fields = MODES[mode].fields;
  for (const f of document.querySelectorAll("[data-field]")) {
    f.hidden = !fields.includes(f.dataset.field);
  }
  hideSource();
  hideLot();
  body.classList.toggle("kiosk", mode === "kiosk");
  $("ctx-location-label").textContent = mode === "check_in" ? "Return to" : mode === "audit" ? "Audit" : "Target";
  if (mode === "kiosk") kioskReset();
  if (!quiet) ui.banner("idle", modeTitle(mode), MODES[mode].help);
  ui.showUndo();
  renderContext();
}

function modeTitle(mode) {
  return document.querySelector(`#modes [data-mode="${mode}"]`)?.textContent || "Ready";
}

/* ---------- the context kept on the device ---------- */

// Mode, target and person outlive a reload, offline too (the service worker serves the
// page): kept per user, with the names, so nothing needs the server to show them again.
const SAVED = `tt.context.${body.dataset.user || ""}`;

// Restores the saved target and person into the state; returns the mode to start in.
export function restoreContext(asked) {
  let saved = {};
  try {
    saved = JSON.parse(localStorage.getItem(SAVED) || "{}") || {};
  } catch {
    saved = {};
  }
  const kept = (x) => (typeof x?.tag === "string" && x.tag ? { tag: x.tag, name: String(x.name || "") } : null);
  const mode = asked || saved.mode || localStorage.getItem("tt.mode") || "lookup";
  // an audit is resumed from the server (?audit=), not from a location alone
  state.location = mode === "audit" ? null : kept(saved.location);
  state.person = kept(saved.person);
  return mode;
}

function saveContext() {
  // a kiosk turn ends with the page: the next badge starts the next one
  const person = state.mode === "kiosk" ? null : state.person;
  localStorage.setItem(SAVED, JSON.stringify({ mode: state.mode, location: state.location, person }));
}

export function renderContext() {
  saveContext();
  const loc = state.location;
  $("ctx-location").textContent = loc ? `${loc.name || loc.tag}` : "Scan a location label";
  $("ctx-location").dataset.tag = loc?.tag || "";
  $("ctx-location-tag").textContent = loc && loc.name ? loc.tag : "";
  const person = state.person;
  $("ctx-person").textContent = person ? person.name || person.tag : "Scan a badge";
  $("ctx-person").dataset.tag = person?.tag || "";
  renderKiosk();
  renderAudit();
}

async function named(kind, tag) {
  const path = kind === "location" ? `/api/v1/locations/${tag}` : `/api/v1/people/${tag}`;
  const cached = pickList(kind).find((x) => x.tag === tag);
  if (cached) return cached.name;
  if (!navigator.onLine) return "";
  try {
    return (await api.get(path))?.name || "";
  } catch {
    return "";
  }
}

export async function setLocation(tag) {
  state.location = { tag, name: "" };
  forget();
  renderContext();
  state.location.name = await named("location", tag);
  renderContext();
  if (state.mode === "audit") return startAudit(tag);
  ui.banner("context", `${state.mode === "check_in" ? "Return to" : "Target"}: ${state.location.name || tag}`, MODES[state.mode].help);
  signal("context");
}

export async function setPerson(tag, name = "") {
  state.person = { tag, name };
  forget();
  renderContext();
  if (!name) state.person.name = await named("person", tag);
  renderContext();
  ui.banner("context", `Person: ${state.person.name || tag}`, state.mode === "kiosk" ? "Scan what you take." : "Now scan the items.");
  signal("context");
  kioskTouch();
}

/* ---------- pick lists (kept for offline use) ---------- */

export function pickList(kind) {
  try {
    return JSON.parse(localStorage.getItem(`tt.pick.${kind}`) || "[]");
  } catch {
    return [];
  }
}

export async function loadPickLists() {
  if (!navigator.onLine) return fillPickers();
  const [locations, people] = await Promise.all([
    api.get("/api/v1/locations?limit=200").catch(() => null),
    api.get("/api/v1/people?limit=200").catch(() => null),
  ]);
  if (locations) {
    const rows = locations.locations.map((l) => ({ tag: l.tag, name: l.name, label: l.path.join(" › ") }));
    localStorage.setItem("tt.pick.location", JSON.stringify(rows));
  }
  if (people) {
    const rows = people.people.map((p) => ({ tag: p.tag, name: p.name, label: p.name }));
    localStorage.setItem("tt.pick.person", JSON.stringify(rows));
  }
  fillPickers();
}

export function fillPickers() {
  for (const kind of ["location", "person"]) {
    const select = $(`pick-${kind}`);
    const rows = pickList(kind).sort((a, b) => a.label.localeCompare(b.label));
    select.replaceChildren(new Option(kind === "location" ? "Pick a location…" : "Pick a person…", ""));
    for (const row of rows) select.add(new Option(`${row.label} (${row.tag})`, row.tag));
  }
}
