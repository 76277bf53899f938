// Times as people read them: in the user's own zone (the page's data-time-zone) or else
// the browser's, in the one format the server's pages use (server/domain/timezones.py):
// "5 Dec 2026" for a day, "5 Dec 2026, 17:00 PST" for a moment. A due date that is the
// end of a local day is that day. Importing this module also tells the server the
// browser's zone (cookie tz), so that its pages and sentences use it from the next request.

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const ZONE_NAME = /^[A-Za-z][A-Za-z0-9_+\-]*(\/[A-Za-z0-9_+\-]+)*$/;

export function browserZone() {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
  } catch {
    return "UTC";
  }
}

export function zone() {
  return (typeof document !== "undefined" && document.body?.dataset.timeZone) || browserZone();
}

// Cookie characters only (zone names are letters, digits, _ + - /): no encoding to undo.
export function rememberZone() {
  const tz = browserZone();
  if (typeof document === "undefined" || !ZONE_NAME.test(tz) || tz.length > 64) return;
  if (document.cookie.split("; ").includes(`tz=${tz}`)) return;
  const secure = location.protocol === "https:" ? "; Secure" : "";
  document.cookie = `tz=${tz}; Path=/; Max-Age=31536000; SameSite=Lax${secure}`;
}

const formats = new Map();
function parts(at, tz) {
  let format = formats.get(tz);
  if (!format) {
    format = new Intl.DateTimeFormat("en-US", {
      timeZone: tz, year: "numeric", month: "numeric", day: "numeric",
      hour: "numeric", minute: "2-digit", second: "2-digit", hourCycle: "h23",
    });
    formats.set(tz, format);
  }
  const p = {};
  for (const { type, value } of format.formatToParts(at)) p[type] = Number(value);
  return p;
}

// Minutes east of UTC that `tz` is at the instant `at`.
function offsetMinutes(at, tz) {
  const p = parts(at, tz);
  const wall = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
  return Math.round((wall - Math.floor(at.getTime() / 1000) * 1000) / 60000);
}

// PST, CET as the server writes them (it sends the page its zone's labels: browsers know
// few), else the browser's short name, else the offset as tzdata writes one ("-03").
function label(at, tz) {
  const offset = offsetMinutes(at, tz);
  try {
    const known = JSON.parse(document.body?.dataset.zoneLabels || "{}");
    if (known.zone === tz && known.labels?.[offset]) return known.labels[offset];
  } catch {
    // no labels: fall through
  }
  if (tz === "UTC" || tz === "Etc/UTC") return "UTC";
  for (const locale of ["en-US", "en-GB"]) {
    const name = new Intl.DateTimeFormat(locale, { timeZone: tz, timeZoneName: "short" })
      .formatToParts(at).find((p) => p.type === "timeZoneName")?.value;
    if (name && !/^(GMT|UTC)[+\-−]/.test(name)) return name;
  }
  const sign = offset < 0 ? "-" : "+";
  const hours = String(Math.floor(Math.abs(offset) / 60)).padStart(2, "0");
  const minutes = Math.abs(offset) % 60;
  return `${sign}${hours}${minutes ? String(minutes).padStart(2, "0") : ""}`;
}

const asDate = (value) => (value instanceof Date ? value : new Date(value));
const two = (n) => String(n).padStart(2, "0");

export function formatDate(value, tz = zone()) {
  const at = asDate(value);
  if (Number.isNaN(at.getTime())) return "";
  const p = parts(at, tz);
  return `${p.day} ${MONTHS[p.month - 1]} ${p.year}`;
}

export function formatTime(value, tz = zone()) {
  const at = asDate(value);
  if (Number.isNaN(at.getTime())) return "";
  const p = parts(at, tz);
  return `${p.day} ${MONTHS[p.month - 1]} ${p.year}, ${two(p.hour)}:${two(p.minute)} ${label(at, tz)}`;
}

// The time of day only ("17:05:09"), for the list of today's scans.
export function formatClock(value, tz = zone()) {
  const at = asDate(value ?? new Date());
  const p = parts(at, tz);
  return `${two(p.hour)}:${two(p.minute)}:${two(p.second)}`;
}

export function formatDue(value, tz = zone()) {
  const at = asDate(value);
  if (Number.isNaN(at.getTime())) return "";
  const p = parts(at, tz);
  return p.hour === 23 && p.minute === 59 ? formatDate(at, tz) : formatTime(at, tz);
}

// A wall-clock time in `tz` as the instant it names (a skipped hour moves on with the clock).
export function localToInstant(year, month, day, hour, minute, second, tz = zone()) {
  const wall = Date.UTC(year, month - 1, day, hour, minute, second);
  const first = wall - offsetMinutes(new Date(wall), tz) * 60000;
  return new Date(wall - offsetMinutes(new Date(first), tz) * 60000);
}

// An <input type="date"> value ("2026-12-05") as the end of that day in `tz`, ISO in UTC:
// what a due date means ("due 5 Dec" is due until midnight where the person is).
export function endOfDay(text, tz = zone()) {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text || "");
  if (!m) return null;
  return localToInstant(Number(m[1]), Number(m[2]), Number(m[3]), 23, 59, 59, tz).toISOString();
}

rememberZone();
