import { resolve } from "node:path";
import { defineConfig } from "vite";

// Built into the Python package's static folder, which Flask serves (voicebox/pages.py).
export default defineConfig({
  build: {
    outDir: resolve(import.meta.dirname, "../static"),
    emptyOutDir: true,
    modulePreload: { polyfill: false },
    target: "es2020",
    rollupOptions: {
      input: { index: resolve(import.meta.dirname, "index.html"), child: resolve(import.meta.dirname, "child.html") },
    },
  },
});
