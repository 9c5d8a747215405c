// The simulator's Web Worker: it runs wasm/cmd/twinbox (Go, js/wasm) so a
// busy simulator never freezes the page. Messages from the page:
//   {type: "boot", wasmExec, module, saved, rows, cols}   module: the compiled simulator
//   {type: "keys", data}            keys typed, a string
//   {type: "resize", rows, cols}
//   {type: "call", id, fn, args}    fn: "picture" | "save" | "ping"
// and to the page:
//   {type: "output", data}          the screen's bytes, a Uint8Array
//   {type: "booted", how, loadMs, bootMs}   how: "restored", "new" or "new: why";
//                                   loadMs: instantiating, bootMs: the machine's start
//   {type: "reply", id, ok, value}
"use strict";

let booted = null;

onmessage = async (ev) => {
  const m = ev.data;
  switch (m.type) {
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

async function boot(m) {
  const t0 = performance.now();
  importScripts(m.wasmExec);
  const go = new Go();
  const instance = await WebAssembly.instantiate(m.module, go.importObject);
  go.run(instance).then(() => postMessage({type: "exit"}));
  const t1 = performance.now();
  const how = await globalThis.twinbox.boot(m.saved, m.rows, m.cols, output);
  postMessage({type: "booted", how, loadMs: t1 - t0, bootMs: performance.now() - t1});
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
