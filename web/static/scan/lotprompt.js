// Receiving a lot item by its SKU or EAN: the code carries no lot, so the server refuses
// the receipt naming the field `lot`. Instead of a dead end, a small form asks for the lot
// code and its expiry date (the item's lots are offered; the last one typed for the item is
// filled in), and the receipt goes again with both, under a new idempotency key. GS1 codes
// with AI 10 and 17 carry both already and never come here.
import * as api from "./api.js";
import { signal } from "./feedback.js";
import { send } from "./send.js";
import * as ui from "./ui.js";

const $ = ui.el;
const FIELDS = ["lot", "expires_on"];
const typed = new Map(); // item key -> {lot, expires_on}: the last lot received for it
let waiting = null; // {scan, meta, key}
let lots = new Map(); // code -> expiry of the item's lots, for the datalist

export function needsLot(scan, result, meta = {}) {
  if (result.ok || scan.action !== "receive" || !FIELDS.includes(result.error?.field)) return false;
  return !scan.lot || meta.lotPrompt === true; // a lot this form sent may be refused too
}

function box() {
  let form = $("lot-box");
  if (form) return form;
  form = document.createElement("form");
  form.id = "lot-box";
  form.className = "ctx source";
  form.hidden = true;
  form.noValidate = true;
  form.setAttribute("aria-labelledby", "lot-title");
  form.innerHTML = `
    <p id="lot-title" class="ctx-label">Receive <b id="lot-item"></b> into which lot?</p>
    <label class="ctx"><span class="ctx-label">Lot code</span>
      <input id="lot-code" name="lot" maxlength="100" autocomplete="off" autocapitalize="characters" spellcheck="false" enterkeyhint="next" list="lot-codes"></label>
    <datalist id="lot-codes"></datalist>
    <label class="ctx"><span class="ctx-label">Expiry date</span>
      <input id="lot-expiry" name="expires_on" type="date" enterkeyhint="send"></label>
    <div class="row">
      <button id="lot-send" type="submit" class="primary">Receive</button>
      <button id="lot-cancel" type="button" class="small">Cancel</button>
    </div>`;
  const after = $("source-box");
  after.parentNode.insertBefore(form, after.nextSibling);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    sendWithLot();
  });
  $("lot-cancel").addEventListener("click", hideLot);
  const code = $("lot-code");
  code.addEventListener("input", () => {
    const known = lots.get(code.value.trim());
    if (known !== undefined) $("lot-expiry").value = known || "";
  });
  // a scanner typing the lot's barcode ends with Enter: go on to the expiry, not send yet
  code.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !$("lot-expiry").value) {
      event.preventDefault();
      $("lot-expiry").focus();
    }
  });
  return form;
}

function itemOf(result) {
  const r = result.resolved || {};
  const rec = r.record || {};
  const id = r.kind === "item" ? rec.id ?? r.id : rec.item?.id;
  const name = (r.kind === "item" ? rec.name : rec.item?.name) || r.tag || "";
  return { id, name };
}

export async function askLot(scan, result, meta) {
  const form = box();
  const item = itemOf(result);
  const key = String(item.id ?? scan.code);
  // the form's own refusal, or the same item scanned again while the form is open: keep
  // what was typed
  const again = waiting?.key === key && (meta.lotPrompt || !form.hidden);
  waiting = { scan, meta, key };
  $("lot-item").textContent = item.name || scan.code;
  if (!again) {
    const last = typed.get(key) || {};
    $("lot-code").value = scan.lot || last.lot || "";
    $("lot-expiry").value = scan.expires_on || last.expires_on || "";
  }
  form.hidden = false;
  if (meta.lotPrompt) {
    const field = result.error?.field === "expires_on" ? "lot-expiry" : "lot-code";
    ui.banner("refused", result.error?.detail || "Refused", "Correct the lot or its expiry, then tap Receive.");
    signal("refused");
    $(field).focus();
  } else {
    ui.banner("context", `Which lot? ${item.name || scan.code}`, "Type or scan the lot code and its expiry date, then tap Receive.");
    signal("context");
    $("lot-code").focus();
  }
  await offerLots(item.id);
}

async function offerLots(itemId) {
  lots = new Map();
  const list = $("lot-codes");
  list.replaceChildren();
  if (itemId === undefined || itemId === null) return;
  const page = await api.get(`/api/v1/lots?item=${encodeURIComponent(itemId)}&sort=-expires_on&limit=50`).catch(() => null);
  for (const lot of page?.lots || []) {
    lots.set(lot.code, lot.expires_on);
    list.append(new Option(lot.expires_on ? `expires ${lot.expires_on}` : "no expiry", lot.code));
  }
}

export function hideLot() {
  waiting = null;
  const form = $("lot-box");
  if (form) form.hidden = true;
}

// The same receipt again with the lot and expiry typed, under a new key: the first try
// was refused and changed nothing.
function sendWithLot() {
  if (!waiting) return hideLot();
  const lot = $("lot-code").value.trim();
  const expires = $("lot-expiry").value;
  if (!lot) {
    ui.banner("refused", "Which lot?", "Type or scan the lot code first.");
    signal("refused");
    $("lot-code").focus();
    return;
  }
  const { scan, meta, key } = waiting;
  typed.set(key, { lot, expires_on: expires });
  const again = { ...scan, lot, idempotency_key: crypto.randomUUID(), scanned_at: new Date().toISOString() };
  if (expires) again.expires_on = expires;
  else delete again.expires_on;
  $("lot-box").hidden = true;
  return send(again, { ...meta, t0: undefined, lotPrompt: true });
}
