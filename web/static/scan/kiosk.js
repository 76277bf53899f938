// Kiosk mode, for the door: a badge starts a borrower's turn, what they scan next is
// checked out to them, an item scanned on its own is returned, and after a pause with no
// scan the page waits for the next badge (?reset=ms or data-kiosk-reset sets the pause).
import { renderContext, setPerson } from "./context.js";
import { MODES } from "./modes.js";
import { lookup, scanBody, send } from "./send.js";
import { forget, KIOSK_RESET_MS, state } from "./state.js";
import * as ui from "./ui.js";

export async function kioskScan(c, meta) {
  if (state.person) return send(scanBody("check_out", c.code), meta);
  if (c.kind === "code") {
    const found = await lookup(c.code);
    if (found?.resolved?.kind === "person") return setPerson(found.resolved.tag, found.resolved.record?.name);
  }
  return send(scanBody("check_in", c.code), meta);
}

export function kioskTouch() {
  clearTimeout(state.kioskTimer);
  if (state.mode === "kiosk") state.kioskTimer = setTimeout(kioskReset, KIOSK_RESET_MS);
}

export function kioskReset() {
  clearTimeout(state.kioskTimer);
  state.person = null;
  forget();
  renderContext();
  if (state.mode === "kiosk") ui.banner("idle", "Welcome", MODES.kiosk.help);
}
