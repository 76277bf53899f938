// The scanning page: one place where every code arrives (camera, scanner keys, typing),
// is classified, gets its context, and is sent, or queued while offline.
import * as api from "./api.js";
import { Camera } from "./camera.js";
import { classify } from "./codes.js";
import { signal, unlockAudio } from "./feedback.js";
import { listenForScanner } from "./keys.js";
import { MODES, NEEDS, UNDO } from "./modes.js";
import * as queue from "./queue.js";
import * as ui from "./ui.js";

const $ = ui.el;
const body = document.body;
const PUBLIC_URL = body.dataset.publicUrl || location.origin;
const CAN_OPERATE = body.dataset.role !== "viewer";
const SAME_CODE_MS = 1000; // the same code read again within a second counts once
const KIOSK_RESET_MS = Number(new URLSearchParams(location.search).get("reset")) || 20000;
const RETRY_MS = 5000;

const state = {
  mode: "lookup",
  location: null, // {tag, name}
  person: null, // {tag, name}
  audit: null, // {id, location, expected: Map(tag -> label), found: Set, unexpected: Set}
  last: { code: "", at: 0 },
  pending: 0,
  flushing: false,
  kioskTimer: 0,
};

// Measurements the browser tests read: frame (or key) to confirmation on screen.
const timings = [];
window.tagtrackScan = { timings, state };

function deviceId() {
  let id = localStorage.getItem("tt.device");
  if (!id) localStorage.setItem("tt.device", (id = crypto.randomUUID()));
  return id;
}

/* ---------- modes and context ---------- */

function setMode(mode, { quiet = false } = {}) {
  if (!MODES[mode] || (!CAN_OPERATE && mode !== "lookup")) mode = "lookup";
  state.mode = mode;
  state.last = { code: "", at: 0 };
  localStorage.setItem("tt.mode", mode);
  for (const b of document.querySelectorAll("#modes button")) {
    b.setAttribute("aria-pressed", String(b.dataset.mode === mode));
  }
  const fields = MODES[mode].fields;
  for (const f of document.querySelectorAll("[data-field]")) {
    f.hidden = !fields.includes(f.dataset.field);
  }
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

function renderContext() {
  const loc = state.location;
  $("ctx-location").textContent = loc ? `${loc.name || loc.tag}` : "Scan a location label";
  $("ctx-location").dataset.tag = loc?.tag || "";
  $("ctx-location-tag").textContent = loc && loc.name ? loc.tag : "";
  const person = state.person;
  $("ctx-person").textContent = person ? person.name || person.tag : "Scan a badge";
  $("ctx-person").dataset.tag = person?.tag || "";
  $("kiosk-prompt").textContent = person
    ? `Hi ${person.name || person.tag}: scan what you take, then tap Done.`
    : "Scan your badge to borrow. Scan an item on its own to return it.";
  $("kiosk-done").hidden = !person;
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

async function setLocation(tag) {
  state.location = { tag, name: "" };
  state.last = { code: "", at: 0 };
  renderContext();
  state.location.name = await named("location", tag);
  renderContext();
  if (state.mode === "audit") return startAudit(tag);
  ui.banner("context", `${state.mode === "check_in" ? "Return to" : "Target"}: ${state.location.name || tag}`, MODES[state.mode].help);
  signal("context");
}

async function setPerson(tag, name = "") {
  state.person = { tag, name };
  state.last = { code: "", at: 0 };
  renderContext();
  if (!name) state.person.name = await named("person", tag);
  renderContext();
  ui.banner("context", `Person: ${state.person.name || tag}`, state.mode === "kiosk" ? "Scan what you take." : "Now scan the items.");
  signal("context");
  kioskTouch();
}

/* ---------- pick lists (kept for offline use) ---------- */

function pickList(kind) {
  try {
    return JSON.parse(localStorage.getItem(`tt.pick.${kind}`) || "[]");
  } catch {
    return [];
  }
}

async function loadPickLists() {
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

function fillPickers() {
  for (const kind of ["location", "person"]) {
    const select = $(`pick-${kind}`);
    const rows = pickList(kind).sort((a, b) => a.label.localeCompare(b.label));
    select.replaceChildren(new Option(kind === "location" ? "Pick a location…" : "Pick a person…", ""));
    for (const row of rows) select.add(new Option(`${row.label} (${row.tag})`, row.tag));
  }
}

/* ---------- every code comes through here ---------- */

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
  if ((c.kind === "location" || c.kind === "person") && !c.valid) {
    return refuse(`${c.tag} is not a valid tag`, "The check digit does not match: rescan or retype it.");
  }
  if (c.kind === "location" && mode === "audit" && state.audit) {
    return send(scanBody("audit", c.code), { source, t0, decodeMs }); // counting a sub-location now
  }
  if (c.kind === "location" && ["move", "check_in", "receive", "consume", "audit"].includes(mode)) {
    return setLocation(c.tag);
  }
  if (c.kind === "person" && (mode === "check_out" || mode === "kiosk")) return setPerson(c.tag);
  if (mode !== "lookup" && (c.kind === "location" || c.kind === "person")) {
    return refuse(`That is a ${c.kind} label`, MODES[mode].help);
  }
  if (mode === "kiosk") return kioskScan(c, source, t0, decodeMs);
  if (mode === "check_out" && !state.person) return personFirst(c, source, t0, decodeMs);
  const need = MODES[mode].needs;
  if (need && !state[need]) return refuse("Not yet", NEEDS[need]);
  return send(scanBody(mode, c.code), { source, t0, decodeMs });
}

function refuse(title, text) {
  ui.banner("refused", title, text);
  signal("refused");
}

// In check-out, a code that is no P- tag may still be a badge: ask the server what it is.
async function personFirst(c, source, t0, decodeMs) {
  const found = navigator.onLine ? await lookup(c.code) : null;
  if (found?.resolved?.kind === "person") return setPerson(found.resolved.tag, found.resolved.record?.name);
  refuse("Who is taking it?", NEEDS.person);
}

async function lookup(code) {
  try {
    return await api.lookup(code, deviceId());
  } catch {
    return null;
  }
}

function scanBody(action, code, extra = {}) {
  const scan = {
    code,
    action: MODES[action]?.action ?? action,
    device_id: deviceId(),
    scanned_at: new Date().toISOString(),
    idempotency_key: crypto.randomUUID(),
  };
  const fields = MODES[state.mode].fields;
  if (state.location && fields.includes("location") && action !== "lookup") scan.location = state.location.tag;
  if (action === "check_out" || (state.mode === "kiosk" && state.person && action !== "check_in")) {
    if (state.person) scan.person = state.person.tag;
    const due = $("ctx-due").value;
    if (due && state.mode === "check_out") scan.due_at = new Date(`${due}T23:59:00`).toISOString();
  }
  if (action === "check_in" && $("ctx-condition").value) scan.condition = $("ctx-condition").value;
  const qty = Number($("ctx-qty").value);
  if (fields.includes("quantity") && action !== "lookup") {
    if (qty > 0) scan.quantity = qty;
    else if (action === "receive" || action === "consume") scan.quantity = 1;
  }
  if (action === "audit" && state.audit) scan.audit = state.audit.id;
  return Object.assign(scan, extra);
}

/* ---------- sending, queueing, showing ---------- */

async function send(scan, meta = {}) {
  ui.showUndo();
  if (scan.action !== "lookup" && (state.pending > 0 || !navigator.onLine)) return enqueue(scan, meta);
  try {
    const sent = performance.now();
    const result = scan.action === "lookup" ? await api.lookup(scan.code, scan.device_id) : await api.scan(scan);
    meta.netMs = performance.now() - sent;
    show(scan, result, meta);
    return result;
  } catch (error) {
    if (error instanceof api.LoggedOut) return loggedOut(scan, meta);
    if (scan.action === "lookup") return refuse("Offline", "Looking things up needs a connection.");
    return enqueue(scan, meta);
  }
}

async function enqueue(scan, meta) {
  await queue.add({ scan, mode: state.mode });
  await countQueue();
  ui.recent(scan.idempotency_key, { state: "queued", title: `${label(scan)}: queued`, text: "Will be sent when the connection is back.", at: scan.scanned_at });
  ui.banner("queued", `Queued: ${scan.code}`, `${state.pending} waiting for the connection. Nothing is lost.`);
  signal("queued");
  confirmRendered(scan, meta);
  if (navigator.onLine) setTimeout(flush, 0);
}

function loggedOut(scan, meta) {
  enqueue(scan, meta);
  ui.banner("refused", "Logged out", "Log in again to send the queued scans.");
  $("login-again").hidden = false;
}

function label(scan) {
  return `${scan.action.replace("_", " ")} ${scan.code}`;
}

function outcome(result) {
  if (result.ok) return "ok";
  const code = result.error?.code || "";
  return result.status === 404 || /unknown|not_found/.test(code) ? "unknown" : "refused";
}

// The second line: what the server's sentence does not already say.
function describe(result) {
  const r = result.resolved;
  const rec = r?.record || {};
  const said = result.message || "";
  const parts = [
    result.ok ? "" : result.error?.detail,
    r?.tag,
    rec.item?.name || rec.name,
    rec.location?.name && `at ${rec.location.name}`,
    rec.custodian?.name && `with ${rec.custodian.name}`,
    rec.due_at && `due ${new Date(rec.due_at).toLocaleDateString()}`,
  ];
  return parts.filter((p) => p && !said.includes(p.replace(/^(at|with) /, ""))).join(" · ");
}

function show(scan, result, meta = {}, { fromQueue = false } = {}) {
  const kind = outcome(result);
  const title = result.message || (kind === "ok" ? "Done" : result.error?.detail || "Refused");
  const text = describe(result);
  ui.recent(scan.idempotency_key, { state: kind, title, text, at: scan.scanned_at });
  if (!fromQueue) {
    ui.banner(kind, title, text);
    signal(kind);
    confirmRendered(scan, meta);
    offerUndo(scan, result);
  }
  if (scan.action === "audit") auditSeen(result);
  if (kind === "refused" && result.resolved?.kind === "person" && state.mode === "check_out") {
    setPerson(result.resolved.tag, result.resolved.record?.name);
  }
}

// Frame (or Enter key) to confirmation painted: measured for the quality bar, never judged here.
function confirmRendered(scan, meta) {
  if (meta.t0 === undefined) return;
  requestAnimationFrame(() => {
    const total = performance.now() - meta.t0;
    timings.push({ code: scan.code, source: meta.source, decodeMs: Math.round(meta.decodeMs || 0), netMs: Math.round(meta.netMs || 0), totalMs: Math.round(total) });
    body.dataset.lastLatency = String(Math.round(total));
  });
}

function offerUndo(scan, result) {
  const rule = UNDO[scan.action];
  const unit = result.resolved?.kind === "unit";
  if (!result.ok || !rule || (!unit && (scan.action === "move" || scan.action.startsWith("check")))) return;
  ui.showUndo(rule.label, async () => {
    const back = { location: scan.location, person: scan.person, quantity: scan.quantity };
    if (rule.from) {
      const history = await api.get(`/api/v1/units/${result.resolved.tag}/history?limit=10`).catch(() => null);
      const event = history?.events.find((e) => e.id === result.event_id) || history?.events[0];
      const from = event?.[rule.from];
      if (!from) return refuse("Cannot undo", "The previous place or person is unknown.");
      if (rule.from === "from_location") back.location = from;
      else back.person = from;
    }
    const reverse = { code: unit ? result.resolved.tag : scan.code, action: rule.reverse, device_id: deviceId(), scanned_at: new Date().toISOString(), idempotency_key: crypto.randomUUID() };
    for (const [k, v] of Object.entries(back)) if (v !== undefined) reverse[k] = v;
    if (rule.reverse === "check_in") delete reverse.person;
    const answer = await send(reverse);
    if (answer?.ok) ui.banner("ok", `Undone: ${answer.message}`, describe(answer));
  });
}

async function countQueue() {
  state.pending = await queue.count();
  ui.queued(state.pending);
}

// Queued scans leave in the order they were made; each then shows its real answer.
async function flush() {
  if (state.flushing || !navigator.onLine) return;
  state.flushing = true;
  let sent = 0;
  const tally = { ok: 0, refused: 0, unknown: 0 };
  try {
    for (;;) {
      const waiting = (await queue.all()).slice(0, 50);
      if (!waiting.length) break;
      const results = await api.batch(waiting.map((w) => w.scan));
      let done = 0;
      // a 503 means "not now": it and everything after it stay queued, in order
      while (done < results.length && results[done].status !== 503) {
        show(waiting[done].scan, results[done], {}, { fromQueue: true });
        tally[outcome(results[done])] += 1;
        done += 1;
      }
      await queue.remove(waiting.slice(0, done).map((w) => w.seq));
      sent += done;
      await countQueue();
      if (done < results.length || !results.length) {
        setTimeout(flush, RETRY_MS);
        break;
      }
    }
    if (sent) {
      const kind = tally.refused ? "refused" : tally.unknown ? "unknown" : "ok";
      const rest = [tally.refused && `${tally.refused} refused`, tally.unknown && `${tally.unknown} unknown`].filter(Boolean).join(", ");
      ui.banner(kind, `Sent ${sent} queued scan${sent === 1 ? "" : "s"}`, rest ? `${tally.ok} done, ${rest}: see the list below.` : `All ${tally.ok} done.`);
      signal(kind);
    }
  } catch (error) {
    if (error instanceof api.LoggedOut) {
      ui.banner("refused", "Logged out", `Log in again to send ${state.pending} queued scans.`);
      $("login-again").hidden = false;
    } else {
      setTimeout(flush, RETRY_MS);
    }
  } finally {
    state.flushing = false;
  }
}

async function showQueued() {
  for (const { scan } of await queue.all()) {
    ui.recent(scan.idempotency_key, { state: "queued", title: `${label(scan)}: queued`, text: "Will be sent when the connection is back.", at: scan.scanned_at });
  }
  await countQueue();
}

/* ---------- audit ---------- */
// The audit API answers with its report: {audit: {id, ...}, totals, found, missing, ...};
// each audit scan answers with the running totals, and the missing list is re-read.

async function startAudit(tag) {
  if (!navigator.onLine) return refuse("Offline", "Starting an audit needs a connection.");
  const answer = await api.post("/api/v1/audits", { location: tag }).catch(() => null);
  if (!answer || answer.status >= 300) {
    return refuse("Audit not started", answer?.data?.detail || "The server did not answer.");
  }
  const report = answer.data;
  const id = report.audit?.id ?? report.id;
  state.audit = { id, location: tag, totals: report.totals || {}, missing: report.missing || [] };
  renderContext();
  if (!report.totals) await refreshAudit();
  ui.banner("context", `Auditing ${state.location?.name || tag}`, `${state.audit.totals.expected ?? 0} expected here: scan everything you see.`);
  signal("context");
}

async function refreshAudit() {
  const a = state.audit;
  const report = a && (await api.get(`/api/v1/audits/${a.id}`).catch(() => null));
  if (!report || state.audit !== a) return;
  a.totals = report.totals || a.totals;
  a.missing = report.missing || a.missing;
  renderAudit();
}

function auditSeen(result) {
  const a = state.audit;
  if (!a) return;
  if (result.audit) Object.assign(a.totals, pickTotals(result.audit));
  renderAudit();
  refreshAudit();
}

function pickTotals(answer) {
  const keys = ["expected", "found", "missing", "unexpected", "unknown", "counted"];
  return Object.fromEntries(keys.filter((k) => typeof answer[k] === "number").map((k) => [k, answer[k]]));
}

function renderAudit() {
  const a = state.audit;
  $("audit-box").hidden = !a || state.mode !== "audit";
  if (!a) return;
  const t = a.totals;
  $("audit-found").textContent = `${t.found ?? 0} of ${t.expected ?? 0} found`;
  $("audit-unexpected").textContent = [t.unexpected && `${t.unexpected} not expected here`, t.unknown && `${t.unknown} unknown`].filter(Boolean).join(" · ");
  const rows = a.missing.slice(0, 100).map((line) => {
    const label = [line.unit?.tag, line.item?.name, line.lot && `lot ${line.lot}`];
    return Object.assign(document.createElement("li"), { textContent: label.filter(Boolean).join(" ") || line.code || "?" });
  });
  $("audit-missing").replaceChildren(...rows);
}

async function finishAudit() {
  const a = state.audit;
  if (!a) return;
  const answer = await api.post(`/api/v1/audits/${a.id}/finish`, {}).catch(() => null);
  if (!answer || answer.status >= 300) return refuse("Could not finish", answer?.data?.detail || "Try again when online.");
  const t = answer.data.totals || {};
  ui.banner("ok", "Audit finished", `Found ${t.found ?? 0}, missing ${t.missing ?? 0}, unexpected ${t.unexpected ?? 0}. A manager confirms it on the audits page.`);
  signal("ok");
  state.audit = null;
  state.location = null;
  renderContext();
}

/* ---------- kiosk ---------- */

async function kioskScan(c, source, t0, decodeMs) {
  if (state.person) return send(scanBody("check_out", c.code), { source, t0, decodeMs });
  if (c.kind === "code" && navigator.onLine) {
    const found = await lookup(c.code);
    if (found?.resolved?.kind === "person") return setPerson(found.resolved.tag, found.resolved.record?.name);
  }
  return send(scanBody("check_in", c.code), { source, t0, decodeMs });
}

function kioskTouch() {
  clearTimeout(state.kioskTimer);
  if (state.mode === "kiosk") state.kioskTimer = setTimeout(kioskReset, KIOSK_RESET_MS);
}

function kioskReset() {
  clearTimeout(state.kioskTimer);
  state.person = null;
  state.last = { code: "", at: 0 };
  renderContext();
  if (state.mode === "kiosk") ui.banner("idle", "Welcome", MODES.kiosk.help);
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
    state.last = { code: "", at: 0 }; // typed on purpose: never swallowed as a double read
    handleCode(input.value, "typed", t0);
    input.value = "";
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
  $("kiosk-done").addEventListener("click", kioskReset);
  $("kiosk-exit").addEventListener("click", () => setMode("lookup"));
  $("audit-finish").addEventListener("click", finishAudit);
  for (const type of ["pointerdown", "keydown"]) document.addEventListener(type, unlockAudio, { once: true });
  listenForScanner((code, t0) => handleCode(code, "scanner", t0));
  addEventListener("online", () => {
    ui.network(true);
    flush();
    loadPickLists();
  });
  addEventListener("offline", () => ui.network(false));
}

async function main() {
  wire();
  ui.network(navigator.onLine);
  const params = new URLSearchParams(location.search);
  setMode(params.get("mode") || localStorage.getItem("tt.mode") || "lookup");
  fillPickers();
  await showQueued();
  if (params.get("location")) await setLocation(params.get("location").toUpperCase());
  if (params.get("person")) await setPerson(params.get("person").toUpperCase());
  if (navigator.onLine) flush();
  loadPickLists();
  if ("serviceWorker" in navigator) navigator.serviceWorker.register("/sw.js").catch(() => {});
  if (params.get("camera") === "on" || (params.get("camera") !== "off" && localStorage.getItem("tt.camera") === "on")) toggleCamera();
  body.dataset.ready = "true";
}

main();
