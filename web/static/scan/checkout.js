// Check-out and check-in beyond the plain scan. A unit that needs repair or is damaged is
// refused in the warning colour with the reason people wrote; a manager may lend it anyway
// with a reason of their own (sent again with override_condition). A due date in the past
// is sent only once the person ticks that they mean it (allow_past_due). A unit that comes
// back broken goes to repair in one tap.
import * as api from "./api.js";
import { signal } from "./feedback.js";
import { send } from "./send.js";
import { body, forget, refuse, state } from "./state.js";
import { endOfDay } from "./time.js";
import * as ui from "./ui.js";

const $ = ui.el;
const MANAGER = ["manager", "admin"].includes(body.dataset.role);
const KIOSK_ACCOUNT = body.dataset.role === "kiosk";
let waiting = null; // the refused check-out a manager may send again

export function isWarning(result) {
  return !result.ok && result.error?.code === "unit_not_working";
}

// Words for the page where the server's are meant for the API.
export function pageWords(result) {
  if (result.ok || result.error?.code !== "due_in_past") return null;
  $("due-past").hidden = false;
  return { title: "The due date is in the past", text: "Tick “Yes, it is in the past” under Due to record the loan anyway, or change the date." };
}

export function dueIsPast() {
  const day = $("ctx-due").value;
  return Boolean(day) && new Date(endOfDay(day)) < new Date();
}

export function pastDueConfirmed() {
  return dueIsPast() && $("ctx-due-past").checked;
}

function showPastDue() {
  forget(); // the same code scanned again now is meant: the answer may differ
  const past = dueIsPast();
  $("due-past").hidden = !past;
  if (!past) $("ctx-due-past").checked = false;
}

/* ---------- lending a unit that is not in working order ---------- */

export function offerOverride(scan, result) {
  hideOverride();
  if (!MANAGER || state.mode === "kiosk" || scan.action !== "check_out" || !isWarning(result)) return;
  waiting = scan;
  $("override-title").textContent = `Lend ${result.resolved?.tag || scan.code} anyway?`;
  $("override-box").hidden = false;
}

function hideOverride() {
  waiting = null;
  $("override-box").hidden = true;
  $("override-reason").value = "";
  $("override-error").textContent = "";
}

async function lendAnyway() {
  const reason = $("override-reason").value.trim();
  if (!reason) {
    $("override-error").textContent = "Say why it is lent as it is.";
    $("override-reason").focus();
    return;
  }
  const again = { ...waiting, override_condition: true, override_reason: reason, scanned_at: new Date().toISOString(), idempotency_key: crypto.randomUUID() };
  hideOverride();
  await send(again);
}

/* ---------- back broken: send to repair ---------- */

export function offerRepair(scan, result) {
  const button = $("repair");
  button.hidden = !(result.ok && !KIOSK_ACCOUNT && state.mode !== "kiosk" && result.actions?.includes("send_to_repair"));
  button.dataset.tag = result.resolved?.tag || "";
  button.dataset.condition = result.resolved?.record?.condition || "";
}

async function sendToRepair() {
  const button = $("repair");
  const tag = button.dataset.tag;
  button.hidden = true;
  ui.showUndo();
  const note = `returned ${button.dataset.condition.replace("_", " ")}`;
  let answer = null;
  try {
    answer = await api.post(`/api/v1/units/${encodeURIComponent(tag)}/actions/send_to_repair`, { note });
  } catch {
    answer = null;
  }
  if (!answer || answer.status >= 300) return refuse(`${tag} not sent to repair`, answer?.data?.detail || "No connection: tap again when online.");
  const title = `${answer.data.item?.name || "Unit"} ${tag} sent to repair`;
  ui.banner("ok", title, `In repair at ${answer.data.location?.name || "its location"}`);
  ui.recent(null, { state: "ok", title, text: note });
  signal("ok");
}

export function wireCheckout() {
  $("ctx-due").addEventListener("change", showPastDue);
  $("ctx-due-past").addEventListener("change", () => forget());
  $("override-send").addEventListener("click", lendAnyway);
  $("override-cancel").addEventListener("click", hideOverride);
  $("override-reason").addEventListener("input", () => { $("override-error").textContent = ""; });
  $("repair").addEventListener("click", sendToRepair);
}
