// Talking to the server. Every answer becomes {status, ok, message, resolved, event_id,
// error}; a request that never got an answer throws Offline, so the caller can queue it.
export class Offline extends Error {}
export class LoggedOut extends Error {}

const TIMEOUT_MS = 8000;

async function send(path, { method = "GET", body } = {}) {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), TIMEOUT_MS);
  let answer;
  try {
    answer = await fetch(path, {
      method,
      credentials: "same-origin",
      headers: body ? { "Content-Type": "application/json", Accept: "application/json" } : { Accept: "application/json" },
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
  return { status: answer.status, data };
}

// A problem+json refusal (403, validation) looks like a scan refusal to the page.
export function asResult({ status, data }) {
  if ("ok" in data) return { status, ...data };
  const detail = data.detail || `The server answered ${status}.`;
  return { status, ok: false, message: detail, error: { code: data.code || String(status), detail } };
}

export async function scan(body) {
  return asResult(await send("/api/v1/scans", { method: "POST", body }));
}

// Each answer of a batch: {status, replay, idempotency_key, answer: a scan answer or a problem}.
export async function batch(bodies) {
  const answer = await send("/api/v1/scans/batch", { method: "POST", body: { scans: bodies } });
  if (!Array.isArray(answer.data.results)) throw new Offline(asResult(answer).message);
  return answer.data.results.map((r) => asResult({ status: r.status, data: r.answer || {} }));
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
