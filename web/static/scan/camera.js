// The rear camera and the barcode decoder. The browser's own BarcodeDetector is used when
// it reads every format we print; otherwise the zxing-wasm polyfill is imported on first
// use, from this server (the service worker keeps it for offline use).
//
// Browsers give the camera only to secure origins (https, or localhost): at
// http://<lan address> navigator.mediaDevices is missing altogether. The page then says so
// where the camera would be, and typed and scanner codes carry on.
export const BLOCKED = !window.isSecureContext ? "insecure" : navigator.mediaDevices?.getUserMedia ? "" : "unsupported";

// An insecure origin also lacks crypto.randomUUID, which every scan uses for its
// idempotency key; getRandomValues stays, so make the same version-4 UUID from it.
if (!crypto.randomUUID) {
  crypto.randomUUID = () => {
    const b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    const hex = [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  };
}

export const FORMATS = [
  "qr_code", "code_128", "code_39", "ean_13", "ean_8", "upc_a", "upc_e", "data_matrix",
];
const VENDOR = "/static/vendor/";

let detectorPromise = null;

async function nativeDetector() {
  if (!("BarcodeDetector" in window)) return null;
  try {
    const supported = await window.BarcodeDetector.getSupportedFormats();
    if (FORMATS.every((f) => supported.includes(f))) {
      return new window.BarcodeDetector({ formats: FORMATS });
    }
  } catch {
    /* fall through to the polyfill */
  }
  return null;
}

async function wasmDetector() {
  const zxing = await import(`${VENDOR}ponyfill.js`);
  await zxing.prepareZXingModule({
    overrides: {
      locateFile: (path, prefix) => (path.endsWith(".wasm") ? VENDOR + path : prefix + path),
    },
    fireImmediately: true,
  });
  const found = new zxing.BarcodeDetector({ formats: FORMATS });
  // the first read compiles and warms the decoder: do it before the first real frame
  await found.detect(new ImageData(64, 64)).catch(() => []);
  return found;
}

export function detector() {
  detectorPromise ??= (async () => {
    const native = await nativeDetector();
    return native ? { kind: "native", detector: native } : { kind: "wasm", detector: await wasmDetector() };
  })();
  return detectorPromise;
}

export class Camera {
  constructor(video, onCodes) {
    this.video = video;
    this.onCodes = onCodes; // (texts, frameTime, decodeMs)
    this.stream = null;
    this.track = null;
    this.busy = false;
    this.torchOn = false;
    if (BLOCKED) this.explainBlocked();
  }

  // The words in place of the camera view and its button (scan.html holds the HTTPS text).
  explainBlocked() {
    document.body.classList.add("camera-blocked");
    const note = document.getElementById("camera-blocked");
    if (!note) return; // a page from before this note existed
    if (BLOCKED === "unsupported") note.textContent = "This browser cannot use the camera here. Use a Bluetooth scanner or type the code.";
    note.hidden = false;
  }

  get running() {
    return Boolean(this.stream);
  }

  async start() {
    if (BLOCKED) throw new Error(BLOCKED === "insecure" ? "The camera needs HTTPS: ask your admin." : "This browser has no camera access.");
    const [{ detector: found, kind }, stream] = await Promise.all([
      detector(),
      navigator.mediaDevices.getUserMedia({
        audio: false,
        video: { facingMode: { ideal: "environment" }, width: { ideal: 1280 }, height: { ideal: 720 } },
      }),
    ]);
    this.decoder = found;
    this.decoderKind = kind;
    this.stream = stream;
    this.track = stream.getVideoTracks()[0];
    this.video.srcObject = stream;
    await this.video.play();
    this.schedule();
  }

  get hasTorch() {
    const caps = this.track?.getCapabilities?.();
    return Boolean(caps && caps.torch);
  }

  async toggleTorch() {
    this.torchOn = !this.torchOn;
    await this.track.applyConstraints({ advanced: [{ torch: this.torchOn }] });
    return this.torchOn;
  }

  stop() {
    for (const track of this.stream?.getTracks() ?? []) track.stop();
    this.stream = this.track = null;
    this.video.srcObject = null;
    this.torchOn = false;
  }

  schedule() {
    if (!this.stream) return;
    if (this.video.requestVideoFrameCallback) {
      this.video.requestVideoFrameCallback((now, meta) => this.frame(now, meta));
    } else {
      requestAnimationFrame((now) => this.frame(now, null));
    }
  }

  // One decode at a time; frames that arrive meanwhile are skipped, never queued.
  frame(now, meta) {
    if (this.stream && !this.busy && this.video.readyState >= 2) {
      this.busy = true;
      // when the frame was handed over for display, else when this callback ran
      const shown = meta?.presentationTime;
      const frameTime = shown && shown <= now && now - shown < 1000 ? shown : now;
      const started = performance.now();
      this.decoder
        .detect(this.video)
        .then((codes) => {
          const texts = codes.map((c) => c.rawValue).filter(Boolean);
          if (texts.length) this.onCodes(texts, frameTime, performance.now() - started);
        })
        .catch(() => {})
        .finally(() => {
          this.busy = false;
        });
    }
    this.schedule();
  }
}
