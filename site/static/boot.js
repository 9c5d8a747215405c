// boot.js starts what takes longest as soon as the page's head is read:
// the simulator's Web Worker (worker.js), which fetches and compiles the
// simulator and starts it, and the fetch of a fresh host's state. The
// compiling is the worker's, not the page's: the wasm's bytes then never
// hold up the page's own scripts and layout. app.js takes the worker, and
// the compiled module for the workers it starts later, from twinboxBoot.
// Its <script> tag carries the addresses.
"use strict";
(() => {
  const d = document.currentScript.dataset;
  const t0 = performance.now();
  const worker = new Worker(d.worker);
  const early = []; // what the worker says before app.js listens
  let handler = (ev) => early.push(ev);
  let compiled, failed;
  const boot = window.twinboxBoot = {
    compileStartMs: t0,
    compiled: new Promise((resolve, reject) => { compiled = resolve; failed = reject; }),
    fresh: !d.fresh ? Promise.resolve(null) : fetch(d.fresh).then((r) => r.ok ? r.text() : null).catch(() => null),
    // take hands the first worker over: f gets its messages from now on,
    // those already sent first.
    take(f) {
      handler = f;
      for (const ev of early.splice(0)) f(ev);
      return worker;
    },
  };
  worker.onmessage = (ev) => {
    const m = ev.data;
    if (m.type === "compiled") {
      boot.compileMs = performance.now() - t0;
      compiled(m.module);
    } else if (m.type === "failed") {
      failed(new Error(m.error));
    }
    handler(ev);
  };
  boot.compiled.catch(() => {}); // reported when app.js awaits it
  worker.postMessage({ type: "load", wasm: d.wasm, wasmExec: d.wasmExec });
})();
