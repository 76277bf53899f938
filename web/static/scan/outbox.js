// The offline side of sending: scans wait in the IndexedDB queue and leave in the order
// they were made once the connection is back; each then shows its real answer.
import * as api from "./api.js";
import { signal } from "./feedback.js";
import * as queue from "./queue.js";
import { confirmRendered, label, outcome, show } from "./results.js";
import { RETRY_MS, state } from "./state.js";
import * as ui from "./ui.js";

const $ = ui.el;
const WAITING = "Will be sent when the connection is back.";

export async function enqueue(scan, meta) {
  await queue.add({ scan, mode: state.mode });
  await countQueue();
  ui.recent(scan.idempotency_key, { state: "queued", title: `${label(scan)}: queued`, text: WAITING, at: scan.scanned_at });
  ui.banner("queued", `Queued: ${scan.code}`, `${state.pending} waiting for the connection. Nothing is lost.`);
  signal("queued");
  confirmRendered(scan, meta);
  if (navigator.onLine) setTimeout(flush, 0);
}

export function loggedOut(scan, meta) {
  enqueue(scan, meta);
  ui.banner("refused", "Logged out", "Log in again to send the queued scans.");
  $("login-again").hidden = false;
}

async function countQueue() {
  state.pending = await queue.count();
  ui.queued(state.pending);
}

export async function flush() {
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

export async function showQueued() {
  for (const { scan } of await queue.all()) {
    ui.recent(scan.idempotency_key, { state: "queued", title: `${label(scan)}: queued`, text: WAITING, at: scan.scanned_at });
  }
  await countQueue();
}
