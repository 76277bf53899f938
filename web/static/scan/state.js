// What every part of the page shares: the scan context, the measurements the browser
// tests read, the device's id, and the one way to say no.
import { signal } from "./feedback.js";
import * as ui from "./ui.js";

const params = new URLSearchParams(location.search);
export const body = document.body;
export const PUBLIC_URL = body.dataset.publicUrl || location.origin;
export const CAN_OPERATE = body.dataset.role !== "viewer";
export const SAME_CODE_MS = 1000; // the same code read again within a second counts once
export const KIOSK_RESET_MS = Number(params.get("reset")) || 20000; // ?reset=ms: tests

export const state = {
  mode: "lookup",
  location: null, // {tag, name}
  person: null, // {tag, name}
  audit: null, // {id, location, totals, missing}
  last: { code: "", at: 0 },
  pending: 0, // scans kept in the queue
  flushing: false,
  flushAgain: false, // a scan was queued while the queue was being sent
  loggedOut: false, // the server answered 401: the queue waits for a new login
  kioskTimer: 0,
};

// Measurements the browser tests read: frame (or key) to confirmation on screen.
export const timings = [];
window.tagtrackScan = { timings, state };

export function forget() {
  state.last = { code: "", at: 0 };
}

export function deviceId() {
  let id = localStorage.getItem("tt.device");
  if (!id) localStorage.setItem("tt.device", (id = crypto.randomUUID()));
  return id;
}

export function refuse(title, text) {
  ui.banner("refused", title, text);
  signal("refused");
}
