// The offline side of sending: scans wait in the IndexedDB queue and leave it in the order
// they were made, each only once the server has given it a definite answer: done, or
// refused (a 4xx other than 401, 408, 429). "Not now" (any 5xx, such as 503 while the
// database is busy or read-only; 408, 429), a timeout or no network keeps that scan and
// every scan after it, in order, and the queue is tried again after a pause: the server's
// Retry-After when it gives one, else 1 s doubling up to 60 s; at once when the connection
// comes back. A 401 keeps the queue until the person logs in again.
import * as api from "./api.js";
import { signal } from "./feedback.js";
import * as queue from "./queue.js";
import { confirmRendered, label, outcome, show } from "./results.js";
import { state } from "./state.js";
import * as ui from "./ui.js";

const $ = ui.el;
const BATCH = 50;
const FIRST_RETRY_MS = 1000;
const MAX_RETRY_MS = 60000;
const WAITING = "Kept on this phone until the server has it.";

// The pause before the next try: its timer, the countdown's, when it ends, and how long.
const retry = { timer: 0, ticker: 0, at: 0, delay: 0 };

const scans = (n) => `${n} scan${n === 1 ? "" : "s"}`;

// Where the kept scans stand, in words that never promise more than the queue does.
function keptText() {
  const kept = `${scans(state.pending)} kept on this phone`;
  if (!navigator.onLine) return `${kept}, sent when the connection is back.`;
  if (state.loggedOut) return `${kept}: log in again to send them.`;
  if (retry.timer) return `${kept}, retrying in ${Math.max(1, Math.ceil((retry.at - Date.now()) / 1000))} s.`;
  return `${kept}, sending now.`;
}

export async function enqueue(scan, meta, trouble = null) {
  await queue.add({ scan, mode: state.mode });
  await countQueue();
  ui.recent(scan.idempotency_key, { state: "queued", title: `${label(scan)}: queued`, text: WAITING, at: scan.scanned_at });
  if (trouble) hold(trouble);
  const title = !trouble ? `Queued: ${scan.code}` : `${trouble.why === "trouble" ? "Server trouble" : "No answer"}: ${scan.code} kept`;
  keptBanner(trouble || retry.timer ? "trouble" : "queued", title);
  signal("queued");
  confirmRendered(scan, meta);
  schedule();
}

export function loggedOut(scan, meta) {
  state.loggedOut = true;
  enqueue(scan, meta).then(() => {
    keptBanner("refused", "Logged out");
    $("login-again").hidden = false;
  });
}

// A banner whose second line is keptText(), kept current while the pause counts down.
function keptBanner(kind, title) {
  ui.banner(kind, title, keptText());
  $("banner").dataset.kept = "true";
}

async function countQueue() {
  state.pending = await queue.count();
  ui.queued(state.pending);
}

// Send the queue soon, unless a pause, the lack of a connection or a login holds it.
function schedule() {
  if (!navigator.onLine || state.loggedOut || retry.timer) return;
  if (state.flushing) state.flushAgain = true;
  else setTimeout(flush, 0);
}

function stopRetry() {
  clearTimeout(retry.timer);
  clearInterval(retry.ticker);
  retry.timer = retry.ticker = 0;
}

// Wait before the next try; the banner counts the seconds down while it shows the trouble.
function hold({ retryAfterMs = null }) {
  stopRetry();
  const next = retryAfterMs ?? (retry.delay ? retry.delay * 2 : FIRST_RETRY_MS);
  retry.delay = Math.min(MAX_RETRY_MS, Math.max(FIRST_RETRY_MS, next));
  retry.at = Date.now() + retry.delay;
  retry.timer = setTimeout(() => {
    stopRetry();
    flush();
  }, retry.delay);
  retry.ticker = setInterval(() => {
    if ($("banner").dataset.kept === "true") ui.bannerText(keptText());
  }, 1000);
}

// Now, not after the pause: the connection came back.
export function retryNow() {
  stopRetry();
  retry.delay = 0;
  flush();
}

export function wentOffline() {
  stopRetry();
  if ($("banner").dataset.kept === "true") ui.bannerText(keptText());
}

// The queue's first scans as the server answers them: a batch, or when the batch is
// refused as a whole (too large for this server, a body it cannot read) the first alone.
async function answers(waiting) {
  return (await api.batch(waiting.map((w) => w.scan))) ?? [await api.scan(waiting[0].scan)];
}

export async function flush() {
  if (state.flushing || !navigator.onLine || state.loggedOut) return;
  state.flushing = true;
  state.flushAgain = false;
  stopRetry();
  let sent = 0;
  let held = null; // why the rest of the queue waits
  const tally = { ok: 0, refused: 0, unknown: 0 };
  try {
    for (;;) {
      const waiting = (await queue.all()).slice(0, BATCH);
      if (!waiting.length) break;
      const results = (await answers(waiting)).slice(0, waiting.length);
      let done = 0;
      for (const result of results) {
        if (api.mustRetry(result)) {
          held = { why: "trouble", retryAfterMs: result.retryAfterMs };
          break;
        }
        show(waiting[done].scan, result, {}, { fromQueue: true });
        tally[outcome(result)] += 1;
        done += 1;
      }
      await queue.remove(waiting.slice(0, done).map((w) => w.seq));
      sent += done;
      await countQueue();
      if (!held && !done) held = { why: "trouble" }; // an empty answer: never a busy loop
      if (held) break;
    }
  } catch (error) {
    held = error instanceof api.LoggedOut ? { why: "login" } : { why: "no answer" };
  } finally {
    state.flushing = false;
  }
  await countQueue();
  if (held?.why === "login") state.loggedOut = true;
  else if (held && navigator.onLine) hold(held);
  report(sent, tally, held);
  if (!held) {
    retry.delay = 0;
    if (state.flushAgain) schedule();
  }
}

function report(sent, tally, held) {
  const rest = [tally.refused && `${tally.refused} refused`, tally.unknown && `${tally.unknown} unknown`].filter(Boolean).join(", ");
  const summary = rest ? `${tally.ok} done, ${rest}: see the list below.` : `All ${tally.ok} done.`;
  const title = `Sent ${scans(sent).replace(" scan", " queued scan")}`;
  if (held?.why === "login") {
    keptBanner("refused", "Logged out");
    $("login-again").hidden = false;
    signal("refused");
  } else if (held) {
    const what = held.why === "trouble" ? "Server trouble" : "No answer from the server";
    keptBanner("trouble", sent ? `${title}; ${what.toLowerCase()}` : what);
    signal("unknown");
  } else if (sent) {
    const kind = tally.refused ? "refused" : tally.unknown ? "unknown" : "ok";
    ui.banner(kind, title, summary);
    signal(kind);
  }
}

export async function showQueued() {
  for (const { scan } of await queue.all()) {
    ui.recent(scan.idempotency_key, { state: "queued", title: `${label(scan)}: queued`, text: WAITING, at: scan.scanned_at });
  }
  await countQueue();
}
