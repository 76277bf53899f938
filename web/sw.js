// Tagtrack scanning page service worker: the app shell and the decoder come from the
// cache so the page opens and scans offline. The API is never touched here: scans made
// offline wait in the page's IndexedDB queue, not in this worker.
const VERSION = "__VERSION__";
const CACHE = `tagtrack-scan-${VERSION}`;
const SHELL = [
  "/static/scan/scan.css",
  "/static/scan/api.js",
  "/static/scan/app.js",
  "/static/scan/audit.js",
  "/static/scan/camera.js",
  "/static/scan/codes.js",
  "/static/scan/context.js",
  "/static/scan/feedback.js",
  "/static/scan/keys.js",
  "/static/scan/kiosk.js",
  "/static/scan/lotprompt.js",
  "/static/scan/modes.js",
  "/static/scan/outbox.js",
  "/static/scan/queue.js",
  "/static/scan/results.js",
  "/static/scan/send.js",
  "/static/scan/source.js",
  "/static/scan/state.js",
  "/static/scan/ui.js",
  "/static/scan/undo.js",
  "/static/manifest.webmanifest",
  "/static/icons/icon-192.png",
  "/static/icons/icon-512.png",
  "/static/vendor/ponyfill.js",
  "/static/vendor/zxing-exported.js",
  "/static/vendor/zxing_reader.wasm",
];
const PAGE = "/scan";

self.addEventListener("install", (event) => {
  event.waitUntil(
    (async () => {
      const cache = await caches.open(CACHE);
      await addAllRetrying(cache, SHELL);
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
async function addAllRetrying(cache, urls) {
  for (let attempt = 1; ; attempt += 1) {
    try {
      await cache.addAll(urls);
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
