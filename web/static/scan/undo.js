// Undo of the last scan: the opposite scan, sent like any other. Moves and returns of a
// unit need the event's "from" side, read from the unit's history.
import * as api from "./api.js";
import { UNDO } from "./modes.js";
import { describe } from "./results.js";
import { send } from "./send.js";
import { deviceId, refuse } from "./state.js";
import * as ui from "./ui.js";

export function offerUndo(scan, result) {
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
