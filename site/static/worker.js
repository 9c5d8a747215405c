// The simulator's Web Worker: it runs wasm/cmd/twinbox (Go, js/wasm) so a
// busy simulator never freezes the page. Messages from the page:
//   {type: "load", wasmExec, wasm, module}   start the simulator: module,
//                                   compiled already, or else fetched from
//                                   wasm and compiled here
//   {type: "boot", saved, rows, cols}   boot its machine (after load)
//   {type: "keys", data}            keys typed, a string
//   {type: "resize", rows, cols}
//   {type: "call", id, fn, args}    fn: "picture" | "save" | "ping"
// and to the page:
//   {type: "compiled", module}      for the workers the page starts later
//   {type: "failed", error}         the simulator could not be loaded
//   {type: "output", data}          the screen's bytes, a Uint8Array
//   {type: "booted", how, loadMs, bootMs}   how: "restored", "new" or "new: why";
//                                   loadMs: instantiating and starting Go,
//                                   bootMs: the machine's start
//   {type: "reply", id, ok, value}
"use strict";

let loaded = null;
let booted = null;

onmessage = async (ev) => {
  const m = ev.data;
  switch (m.type) {
  case "load":
    loaded = load(m);
    loaded.catch((e) => postMessage({type: "failed", error: String(e && e.message || e)}));
    break;
  case "boot":
    booted = boot(m);
    break;
  case "keys":
    await booted;
    globalThis.twinbox.type(m.data);
    break;
  case "resize":
    await booted;
    globalThis.twinbox.resize(m.rows, m.cols);
    break;
  case "call":
    try {
      if (m.fn === "ping") {
        postMessage({type: "reply", id: m.id, ok: true, value: "pong"});
        break;
      }
      await booted;
      const value = await globalThis.twinbox[m.fn](...m.args);
      postMessage({type: "reply", id: m.id, ok: true, value});
    } catch (e) {
      postMessage({type: "reply", id: m.id, ok: false, value: String(e && e.message || e)});
    }
    break;
  }
};

// load compiles the simulator (streaming: it compiles as the bytes come)
// unless the page sent it compiled, then instantiates it and runs Go's
// start (the runtime, the packages' init) up to where main waits for boot:
// all of it while the page is still busy with its own start.
async function load(m) {
  let module = m.module;
  if (!module) {
    module = await WebAssembly.compileStreaming(fetchWasm(m.wasm));
    postMessage({type: "compiled", module});
  }
  const t0 = performance.now();
  importScripts(m.wasmExec);
  const go = new Go();
  const instance = await WebAssembly.instantiate(module, go.importObject);
  go.run(instance).then(() => postMessage({type: "exit"}));
  return performance.now() - t0;
}

// fetchWasm fetches the simulator. A .gz address is the wasm gzipped,
// served as is (Workers static assets): decompressed here as it streams in.
function fetchWasm(url) {
  if (!url.endsWith(".gz")) return fetch(url);
  return fetch(url).then((r) => {
    if (!r.ok) throw new Error(url + ": " + r.status);
    return new Response(r.body.pipeThrough(new DecompressionStream("gzip")), { headers: { "Content-Type": "application/wasm" } });
  });
}

async function boot(m) {
  const loadMs = await loaded;
  const t0 = performance.now();
  const how = await globalThis.twinbox.boot(m.saved, m.rows, m.cols, output);
  postMessage({type: "booted", how, loadMs, bootMs: performance.now() - t0});
}

// output sends the screen's bytes to the page, the writes of one stretch
// of the simulator's work together: a typed line's echo, a command's output
// and the next prompt are a dozen writes or more, and each message costs
// the page a terminal write. What was written goes out when the simulator
// next waits (a microtask then runs), or at once after 16 ms or 64 KB, so
// a loop that never waits still shows its output.
let pending = [];
let pendingBytes = 0;
let pendingSince = 0;

function output(data) {
  if (pending.length === 0) {
    pendingSince = performance.now();
    queueMicrotask(flushOutput);
  }
  pending.push(data);
  pendingBytes += data.length;
  if (pendingBytes >= 65536 || performance.now() - pendingSince >= 16) flushOutput();
}

function flushOutput() {
  if (pending.length === 0) return;
  let data = pending[0];
  if (pending.length > 1) {
    data = new Uint8Array(pendingBytes);
    let off = 0;
    for (const d of pending) {
      data.set(d, off);
      off += d.length;
    }
  }
  pending = [];
  pendingBytes = 0;
  postMessage({type: "output", data}, [data.buffer]);
}
