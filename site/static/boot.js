// boot.js starts what takes longest as soon as the page's head is read:
// fetching and compiling the simulator, and fetching a fresh host's state.
// app.js picks the promises up. Its <script> tag carries the addresses.
"use strict";
(() => {
  const d = document.currentScript.dataset;
  const t0 = performance.now();
  // A .gz address is the wasm gzipped, served as is (Workers static
  // assets): decompressed here, as it streams in.
  const wasm = !d.wasm.endsWith(".gz") ? fetch(d.wasm) : fetch(d.wasm).then((r) => {
    if (!r.ok) throw new Error(d.wasm + ": " + r.status);
    return new Response(r.body.pipeThrough(new DecompressionStream("gzip")), { headers: { "Content-Type": "application/wasm" } });
  });
  window.twinboxBoot = {
    compileStartMs: t0,
    compiled: WebAssembly.compileStreaming(wasm).then((mod) => {
      window.twinboxBoot.compileMs = performance.now() - t0;
      return mod;
    }),
    fresh: !d.fresh ? Promise.resolve(null) : fetch(d.fresh).then((r) => r.ok ? r.text() : null).catch(() => null),
  };
  window.twinboxBoot.compiled.catch(() => {}); // reported when app.js awaits it
})();
