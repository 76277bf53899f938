// Tagtrack scanning page service worker: the app shell and the decoder come from the
// cache so the page opens and scans offline. The API is never touched here: scans made
// offline wait in the page's IndexedDB queue, not in this worker.
const VERSION = "__VERSION__";
const CACHE = `tagtrack-scan-${VERSION}`;
// The scanning page's files at the versioned addresses the page names them by, and the
// decoder: the server lists them (server/http/static.py), so this list cannot go stale.
const SHELL_LIST = "/static/offline.json";
const PAGE = "/scan";

self.addEventListener("install", (event) => {
  event.waitUntil(
    (async () => {
      const cache = await caches.open(CACHE);
      await addAllRetrying(cache);
      await cachePage(cache);
      await self.skipWaiting();
    })(),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    (async () => {
      for (const key of await caches.keys()) {
        if (key.startsWith("tagtrack-scan-") && key !== CACHE) await caches.delete(key);
      }
      await self.clients.claim();
    })(),
  );
});

// All of the shell or nothing (a half-cached shell would not open offline); a fetch that
// fails on a bad connection is tried twice more before the install gives up.
async function addAllRetrying(cache) {
  for (let attempt = 1; ; attempt += 1) {
    try {
      const answer = await fetch(SHELL_LIST, { cache: "no-cache" });
      if (!answer.ok) throw new Error(`${SHELL_LIST}: ${answer.status}`);
      await cache.addAll((await answer.json()).urls);
      return;
    } catch (error) {
      if (attempt >= 3) throw error;
      await new Promise((resolve) => setTimeout(resolve, 500 * attempt));
    }
  }
}

// The page itself, as the logged-in user sees it; a redirect to /login is never kept.
async function cachePage(cache) {
  try {
    const answer = await fetch(PAGE, { credentials: "same-origin", redirect: "manual" });
    if (answer.ok && answer.type === "basic") await cache.put(PAGE, answer);
  } catch {
    /* offline at install: the next online visit stores it */
  }
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.mode === "navigate" && url.pathname === PAGE) {
    event.respondWith(networkFirst(request));
  } else if (url.pathname.startsWith("/static/")) {
    event.respondWith(cacheFirst(request));
  }
  // everything else (the API above all) goes to the network untouched
});

async function networkFirst(request) {
  const cache = await caches.open(CACHE);
  try {
    const answer = await fetch(request);
    if (answer.ok && !answer.redirected) await cache.put(PAGE, answer.clone());
    return answer;
  } catch (error) {
    const kept = await cache.match(PAGE);
    if (kept) return kept;
    throw error;
  }
}

async function cacheFirst(request) {
  const cache = await caches.open(CACHE);
  const kept = await cache.match(request, { ignoreSearch: true });
  if (kept) return kept;
  const answer = await fetch(request);
  if (answer.ok) await cache.put(request, answer.clone());
  return answer;
}
