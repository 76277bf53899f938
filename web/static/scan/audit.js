// Audit mode. The audit API answers with its report: {audit: {id, ...}, totals, found,
// missing, ...}; each audit scan answers with the running totals, and the missing list
// is re-read.
import * as api from "./api.js";
import { renderContext } from "./context.js";
import { signal } from "./feedback.js";
import { refuse, state } from "./state.js";
import * as ui from "./ui.js";

const $ = ui.el;

export async function startAudit(tag) {
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

// An open audit started elsewhere (the audits page, another phone): ?mode=audit&audit=ID.
export async function resumeAudit(id) {
  const report = await api.get(`/api/v1/audits/${encodeURIComponent(id)}`).catch(() => null);
  if (!report?.audit) return refuse("Audit not found", `There is no audit ${id}.`);
  const { audit } = report;
  if (audit.status !== "open") return refuse("Audit closed", `Audit ${audit.id} is ${audit.status}: start a new one by scanning a location.`);
  state.location = { tag: audit.location.tag, name: audit.location.name || "" };
  state.audit = { id: audit.id, location: audit.location.tag, totals: report.totals || {}, missing: report.missing || [] };
  renderContext();
  renderAudit();
  ui.banner("context", `Auditing ${state.location.name || state.location.tag}`, `${state.audit.totals.expected ?? 0} expected here: scan everything you see.`);
}

async function refreshAudit() {
  const a = state.audit;
  const report = a && (await api.get(`/api/v1/audits/${a.id}`).catch(() => null));
  if (!report || state.audit !== a) return;
  a.totals = report.totals || a.totals;
  a.missing = report.missing || a.missing;
  renderAudit();
}

export function auditSeen(result) {
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

export function renderAudit() {
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

export async function finishAudit() {
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
