// Talking to the server. Every answer becomes {status, ok, message, resolved, event_id,
// error, retryAfterMs}; a request that never got an answer (no network, a timeout) throws
// Offline, a 401 throws LoggedOut, so the caller can keep the scan.
export class Offline extends Error {}
export class LoggedOut extends Error {}

const TIMEOUT_MS = 8000;
const BATCH_TIMEOUT_MS = 20000; // a queue of 50 on a slow server; a resend is a replay anyway

// An answer that says "not now" rather than "no": the scan may work when sent again.
export function retryable(status) {
  return status >= 500 || status === 408 || status === 429;
}

// Only a definite answer lets a scan leave the queue: a result, or a refusal (4xx). "Not
// now", or a 2xx that is no scan answer (a captive portal's page), keeps it.
export function mustRetry(result) {
  return retryable(result.status) || Boolean(result.unanswered);
}

// Retry-After in seconds or as an HTTP date; null when absent or unreadable.
function retryAfter(header) {
  if (!header) return null;
  const seconds = Number(header);
  const ms = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(header) - Date.now();
  return Number.isFinite(ms) ? Math.max(0, ms) : null;
}

// A write made with the session cookie carries the session's CSRF token (the server refuses
// it without one). It is asked for once, and again when the server calls it stale (a page
// kept from an older session); a second refusal keeps the scan and asks for a new login.
let csrfToken = null;

async function csrfHeader(method) {
  if (method === "GET") return {};
  if (csrfToken === null) {
    let answer;
    try {
      answer = await fetch("/api/v1/users/me/csrf", { credentials: "same-origin", headers: { Accept: "application/json" } });
    } catch (error) {
      throw new Offline(error.message);
    }
    if (answer.status === 401) throw new LoggedOut("log in again");
    if (!answer.ok) throw new Offline(`the server answered ${answer.status}`);
    csrfToken = (await answer.json()).csrf;
  }
  return { "X-CSRF-Token": csrfToken };
}

async function send(path, { method = "GET", body, timeout = TIMEOUT_MS, staleToken = false } = {}) {
  const csrf = await csrfHeader(method);
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), timeout);
  let answer;
  try {
    answer = await fetch(path, {
      method,
      credentials: "same-origin",
      headers: { ...(body ? { "Content-Type": "application/json" } : {}), Accept: "application/json", ...csrf },
      body: body ? JSON.stringify(body) : undefined,
      signal: abort.signal,
    });
  } catch (error) {
    throw new Offline(error.message);
  } finally {
    clearTimeout(timer);
  }
  if (answer.status === 401) throw new LoggedOut("log in again");
  let data = {};
  try {
    data = await answer.json();
  } catch {
    /* an empty or non-JSON body: the status says enough */
  }
  if (answer.status === 403 && data.code === "csrf") {
    csrfToken = null;
    if (staleToken) throw new LoggedOut("log in again");
    return send(path, { method, body, timeout, staleToken: true });
  }
  return { status: answer.status, data, retryAfterMs: retryAfter(answer.headers.get("Retry-After")) };
}

// A problem+json refusal (403, validation) looks like a scan refusal to the page.
export function asResult({ status, data, retryAfterMs = null }) {
  if ("ok" in data) return { status, retryAfterMs, ...data };
  const detail = data.detail || `The server answered ${status}.`;
  const unanswered = status < 400;
  return { status, retryAfterMs, unanswered, ok: false, message: detail, error: { code: data.code || String(status), detail } };
}

export async function scan(body) {
  return asResult(await send("/api/v1/scans", { method: "POST", body }));
}

// Each answer of a batch: {status, replay, idempotency_key, answer: a scan answer or a
// problem}, in the order sent. A batch answered as a whole with "not now" (5xx, 429) is
// one retryable result; refused as a whole (another 4xx) it is null: send them one by one.
export async function batch(bodies) {
  const answer = await send("/api/v1/scans/batch", { method: "POST", body: { scans: bodies }, timeout: BATCH_TIMEOUT_MS });
  const { results } = answer.data;
  if (Array.isArray(results)) {
    const later = answer.retryAfterMs;
    return results.map((r) => asResult({ status: r.status, data: r.answer || {}, retryAfterMs: later ?? retryAfter(r.answer?.retry_after) }));
  }
  return retryable(answer.status) ? [asResult(answer)] : null;
}

// Looking up is for every role, and changes nothing.
export async function lookup(code, deviceId) {
  const query = new URLSearchParams({ code, device_id: deviceId });
  return asResult(await send(`/api/v1/scans/lookup?${query}`));
}

export async function get(path) {
  const answer = await send(path);
  return answer.status < 300 ? answer.data : null;
}

export async function post(path, body) {
  return send(path, { method: "POST", body });
}
