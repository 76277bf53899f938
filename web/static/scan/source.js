// Counted items (quantity or lot) leave from a place: in move and check-out, when the
// server says a count needs its source, the person picks one of the item's stock rows and
// the scan goes again with `from_location` (and the row's lot).
import * as api from "./api.js";
import { signal } from "./feedback.js";
import { lookup, send } from "./send.js";
import { refuse } from "./state.js";
import * as ui from "./ui.js";

const $ = ui.el;
let waiting = null; // the scan that waits for its source: {scan, meta}

export function needsSource(scan, result) {
  return !result.ok && result.error?.field === "from_location" && ["move", "check_out"].includes(scan.action);
}

export async function askSource(scan, meta) {
  const found = await lookup(scan.code);
  const r = found?.resolved;
  const itemId = r?.kind === "item" ? r.record?.id ?? r.id : r?.record?.item?.id;
  if (!itemId) return refuse("From where?", "Pick the location the count comes from: the item could not be read.");
  const name = (r.kind === "item" ? r.record?.name : r.record?.item?.name) || scan.code;
  const page = await api.get(`/api/v1/stock?item=${itemId}&limit=100`);
  const rows = (page?.stock || []).filter((s) => s.quantity > 0 && (!r.lot || s.lot === r.lot) && s.location.tag !== scan.location);
  if (!rows.length) return refuse(`No ${name} to take`, "None is in stock anywhere else.");
  waiting = { scan, meta };
  const options = rows.map((s) => {
    const text = `${s.location.name}${s.lot ? ` · lot ${s.lot}` : ""}: ${s.quantity} ${s.unit_of_measure}`;
    return new Option(text, JSON.stringify({ location: s.location.tag, lot: s.lot }));
  });
  $("pick-source").replaceChildren(...options);
  $("source-item").textContent = name;
  $("source-box").hidden = false;
  ui.banner("context", `From where? ${name}`, "Pick where the count comes from, then tap Send.");
  signal("context");
}

export function hideSource() {
  waiting = null;
  $("source-box").hidden = true;
}

// The same scan again, from the picked row, under a new key: the first try was refused.
export function sendFromSource() {
  if (!waiting) return hideSource();
  const { scan, meta } = waiting;
  const { location, lot } = JSON.parse($("pick-source").value);
  const qty = Number($("ctx-qty").value);
  const again = { ...scan, from_location: location, idempotency_key: crypto.randomUUID(), scanned_at: new Date().toISOString() };
  again.quantity = qty > 0 ? qty : again.quantity || 1;
  if (lot && !again.lot) again.lot = lot;
  hideSource();
  return send(again, { ...meta, t0: undefined });
}
