/// <reference types="vitest/config" />
import { defineConfig } from "vite";

// The Tauri window loads this UI from the dev server (port 5173, fixed: the
// Rust side's devUrl names it) or from dist/ in a release build.
export default defineConfig({
  clearScreen: false, // keep the Rust build's output visible next to ours
  envPrefix: ["VITE_", "TAURI_"],
  server: {
    port: 5173,
    strictPort: true,
    watch: { ignored: ["**/src-tauri/**"] },
  },
  build: {
    outDir: "dist",
    // WebKitGTK (Linux), WKWebView (macOS) and WebView2 all handle this.
    target: ["es2021", "safari15"],
    sourcemap: false,
    chunkSizeWarningLimit: 100,
  },
  test: {
    include: ["src/**/*.test.ts"],
    environment: "node", // DOM tests opt in with `// @vitest-environment jsdom`
    // CSS as written (`?raw`), for css-target.test.ts; otherwise vitest hands over "".
    css: { include: [/styles\.css/] },
  },
});
