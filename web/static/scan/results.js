// Showing what the server said: the banner, the row in the recent list, the sound, and
// the time from frame (or key) to confirmation.
import { auditSeen } from "./audit.js";
import { isWarning, offerOverride, offerRepair, pageWords } from "./checkout.js";
import { setPerson } from "./context.js";
import { kioskResult } from "./kiosk.js";
import { signal } from "./feedback.js";
import { body, state, timings } from "./state.js";
import { formatDue } from "./time.js";
import * as ui from "./ui.js";
import { offerUndo } from "./undo.js";

export function label(scan) {
  return `${scan.action.replace("_", " ")} ${scan.code}`;
}

export function outcome(result) {
  if (result.ok) return "ok";
  if (isWarning(result)) return "warning"; // not in working order: a reason, not a fault
  const code = result.error?.code || "";
  return result.status === 404 || /unknown|not_found/.test(code) ? "unknown" : "refused";
}

// The second line: what the server's sentence does not already say.
export function describe(result) {
  const r = result.resolved;
  const rec = r?.record || {};
  const said = result.message || "";
  const parts = [
    result.ok ? "" : result.error?.detail,
    r?.tag,
    rec.item?.name || rec.name,
    rec.location?.name && `at ${rec.location.name}`,
    rec.custodian?.name && `with ${rec.custodian.name}`,
    rec.due_at && `due ${formatDue(rec.due_at)}`,
  ];
  return parts.filter((p) => p && !said.includes(p.replace(/^(at|with) /, ""))).join(" · ");
}

export function show(scan, result, meta = {}, { fromQueue = false } = {}) {
  const kind = outcome(result);
  const words = pageWords(result);
  const title = words?.title || result.message || (kind === "ok" ? "Done" : result.error?.detail || "Refused");
  const text = words?.text ?? describe(result);
  ui.recent(scan.idempotency_key, { state: kind, title, text, at: scan.scanned_at });
  if (!fromQueue) {
    ui.banner(kind, title, text);
    signal(kind);
    confirmRendered(scan, meta);
    offerUndo(scan, result);
    offerOverride(scan, result);
    offerRepair(scan, result);
    kioskResult(scan, result);
  }
  if (scan.action === "audit") auditSeen(result);
  if (kind === "refused" && result.resolved?.kind === "person" && state.mode === "check_out") {
    setPerson(result.resolved.tag, result.resolved.record?.name);
  }
}

// Frame (or Enter key) to confirmation painted: measured for the quality bar, never judged here.
export function confirmRendered(scan, meta) {
  if (meta.t0 === undefined) return;
  requestAnimationFrame(() => {
    const total = performance.now() - meta.t0;
    timings.push({ code: scan.code, source: meta.source, decodeMs: Math.round(meta.decodeMs || 0), netMs: Math.round(meta.netMs || 0), totalMs: Math.round(total) });
    body.dataset.lastLatency = String(Math.round(total));
  });
}
