// The rear camera and the barcode decoder. The browser's own BarcodeDetector is used when
// it reads every format we print; otherwise the zxing-wasm polyfill is imported on first
// use, from this server (the service worker keeps it for offline use).
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
  }

  get running() {
    return Boolean(this.stream);
  }

  async start() {
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
