// Building a scan from the context and sending it; a scan that cannot go now is queued.
import * as api from "./api.js";
import { pastDueConfirmed } from "./checkout.js";
import { MODES } from "./modes.js";
import { askLot, needsLot } from "./lotprompt.js";
import { enqueue, loggedOut } from "./outbox.js";
import { show } from "./results.js";
import { askSource, needsSource } from "./source.js";
import { deviceId, refuse, state } from "./state.js";
import { endOfDay } from "./time.js";
import * as ui from "./ui.js";

const $ = ui.el;

export function scanBody(action, code, extra = {}) {
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
    if (due && state.mode === "check_out") scan.due_at = endOfDay(due); // the end of that day, in the user's zone
    if (scan.due_at && pastDueConfirmed()) scan.allow_past_due = true;
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

export async function send(scan, meta = {}) {
  ui.showUndo();
  if (scan.action !== "lookup" && (state.pending > 0 || !navigator.onLine)) return enqueue(scan, meta);
  try {
    const sent = performance.now();
    const result = scan.action === "lookup" ? await api.lookup(scan.code, scan.device_id) : await api.scan(scan);
    meta.netMs = performance.now() - sent;
    // "not now" (the server in trouble): kept, and sent again after a pause
    if (scan.action !== "lookup" && api.mustRetry(result)) return enqueue(scan, meta, { why: "trouble", retryAfterMs: result.retryAfterMs });
    if (needsSource(scan, result)) askSource(scan, meta);
    else if (needsLot(scan, result, meta)) askLot(scan, result, meta);
    else show(scan, result, meta);
    return result;
  } catch (error) {
    if (error instanceof api.LoggedOut) return loggedOut(scan, meta);
    if (scan.action === "lookup") return refuse("Offline", "Looking things up needs a connection.");
    return enqueue(scan, meta, navigator.onLine ? { why: "no answer" } : null);
  }
}

// What a code is, without changing anything; null when the server cannot say.
export async function lookup(code) {
  if (!navigator.onLine) return null;
  try {
    return await api.lookup(code, deviceId());
  } catch {
    return null;
  }
}
