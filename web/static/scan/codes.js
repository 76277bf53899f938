// What a scanned string is, decided on the device before any lookup: a location or a
// person tag (by its prefix, with the Damm check digit the server uses), a label URL, or
// anything else, which the server resolves.
const DAMM = [
  "0317598642", "7092154863", "4206871359", "1750983426", "6123045978",
  "3674209581", "5869720134", "8945362017", "9438617205", "2581436790",
].map((row) => [...row].map(Number));

const TAG = /^([ULP])-?(\d{7,})$/i;
const URL_PATH = /^\/([ulp])\/([^/?#]+)\/?$/i;
const KINDS = { U: "unit", L: "location", P: "person" };

export function dammValid(digits) {
  let interim = 0;
  for (const ch of digits) interim = DAMM[interim][Number(ch)];
  return interim === 0;
}

// The check digit folds in the kind: str(ord(K)) + digits, as in server/domain/tags.py.
function tagOf(text) {
  const m = TAG.exec(text);
  if (!m) return null;
  const letter = m[1].toUpperCase();
  return {
    kind: KINDS[letter],
    tag: `${letter}-${m[2]}`,
    valid: dammValid(String(letter.charCodeAt(0)) + m[2]),
  };
}

function trustedHost(url, publicUrl) {
  if (url.origin === location.origin) return true;
  try {
    return url.origin === new URL(publicUrl).origin;
  } catch {
    return false;
  }
}

// -> {kind: "location"|"person"|"unit", tag, valid} or {kind: "code"} for the server
export function classify(raw, publicUrl) {
  const text = raw.trim();
  if (/^https?:\/\//i.test(text)) {
    try {
      const url = new URL(text);
      const m = URL_PATH.exec(url.pathname);
      if (m && trustedHost(url, publicUrl)) {
        const found = tagOf(`${m[1]}-${decodeURIComponent(m[2])}`);
        if (found) return { ...found, code: text };
      }
    } catch {
      /* not a URL after all: the server decides */
    }
    return { kind: "code", code: text };
  }
  return { ...(tagOf(text) || { kind: "code" }), code: text };
}
