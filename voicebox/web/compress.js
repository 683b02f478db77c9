// After the build: a gzip copy of each asset beside it, which the server sends to browsers
// that accept it (the child's phone on 2G pays for every byte).
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";

const assets = join(import.meta.dirname, "../static/assets");
for (const name of readdirSync(assets)) {
  if (/\.(js|css|svg)$/.test(name)) {
    writeFileSync(join(assets, `${name}.gz`), gzipSync(readFileSync(join(assets, name)), { level: 9 }));
  }
}
