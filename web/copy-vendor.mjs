// Copies the pinned decoder (barcode-detector's ES build and zxing-wasm's reader .wasm)
// from node_modules into static/vendor, where Tagtrack serves it. Run by `make setup`.
import { copyFileSync, mkdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const modules = join(here, "node_modules");
const out = join(here, "static", "vendor");
mkdirSync(out, { recursive: true });

const files = [
  ["barcode-detector/dist/es/ponyfill.js", "ponyfill.js"],
  ["barcode-detector/dist/es/zxing-exported.js", "zxing-exported.js"],
  ["barcode-detector/LICENSE", "barcode-detector.LICENSE.txt"],
  ["zxing-wasm/dist/reader/zxing_reader.wasm", "zxing_reader.wasm"],
  ["zxing-wasm/LICENSE", "zxing-wasm.LICENSE.txt"],
];
for (const [from, to] of files) copyFileSync(join(modules, from), join(out, to));

const version = (name) => JSON.parse(readFileSync(join(modules, name, "package.json"))).version;
console.log(
  `web: copied barcode-detector ${version("barcode-detector")} and zxing-wasm ` +
    `${version("zxing-wasm")} into static/vendor`,
);
