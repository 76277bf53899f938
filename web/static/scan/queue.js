// Scans waiting for a connection, in IndexedDB so they survive closing the page. Each
// keeps the idempotency key and device time it was made with; they leave in order.
const DB = "tagtrack-scan";
const STORE = "queue";
let opened = null;

function db() {
  opened ??= new Promise((resolve, reject) => {
    const request = indexedDB.open(DB, 1);
    request.onupgradeneeded = () =>
      request.result.createObjectStore(STORE, { keyPath: "seq", autoIncrement: true });
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
  return opened;
}

async function run(mode, work) {
  const tx = (await db()).transaction(STORE, mode);
  const result = work(tx.objectStore(STORE));
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve(result.result ?? result);
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error);
  });
}

export const add = (entry) => run("readwrite", (store) => store.add(entry));
export const all = () => run("readonly", (store) => store.getAll());
export const count = () => run("readonly", (store) => store.count());
export const remove = (seqs) =>
  run("readwrite", (store) => {
    for (const seq of seqs) store.delete(seq);
    return {};
  });
