// The page: a lesson beside a terminal. The terminal is xterm.js; its
// shell is the simulator in a Web Worker (worker.js). Steps' Run buttons
// type their commands into it; the panels draw the engine's state (SVG
// from shared/viz, through the simulator's Engine API); the simulator's
// state is kept in localStorage after each command, so a reload carries
// on where it was, and Reset starts over. The simulator runs one thing at
// a time, so what is not the command's own output (the panels, the save)
// waits until the terminal and the keyboard have been quiet for a moment.
"use strict";

(() => {
const STATE_KEY = "twinbox.state.v1";
const el = document.getElementById("terminal");
const statusEl = document.getElementById("status");
const status = (t) => { statusEl.textContent = t; };
if (!el.dataset.worker) {
  status("simulator not built");
  return;
}

const term = new Terminal({
  cursorBlink: true,
  convertEol: false,
  fontFamily: "ui-monospace, Menlo, Consolas, monospace",
  fontSize: 14,
  scrollback: 5000,
  theme: { background: "#1b1f24", foreground: "#e6edf3" },
});
const fit = new FitAddon.FitAddon();
term.loadAddon(fit);
term.open(el);
fit.fit();
window.twinboxTerm = term; // for the browser tests
window.twinboxType = (data) => type(data);

let worker = null;
let calls = new Map();
let nextID = 1;
let ready = false;
let lastOutput = 0;
let lastKeys = 0;
let commands = 0; // lines entered (Enter typed) since the page opened
let savedAt = 0;  // the value of commands that the last save followed
let drawnAt = -1; // the value of commands that the panels were drawn after
let saves = 0;

// The simulator is compiled once, by the first worker (boot.js started
// it with the page), and each later worker (a restart after a stuck ^C, a
// reset) instantiates the same module. A new host boots from fresh, the
// state of one made at build time: quicker than loading the base image.
const booting = window.twinboxBoot;
let firstWorker = true;
document.body.dataset.compileStartMs = String(Math.round(booting.compileStartMs));
booting.compiled.then(() => { document.body.dataset.compileMs = String(Math.round(booting.compileMs)); }, () => {});

async function start(saved) {
  ready = false;
  savedAt = commands; // what it starts from is what is saved
  const isFresh = !saved;
  const onmessage = (ev) => {
    const m = ev.data;
    switch (m.type) {
    case "output":
      term.write(m.data);
      lastOutput = performance.now();
      break;
    case "booted":
      ready = true;
      document.body.dataset.ready = "1";
      document.body.dataset.readyMs = String(Math.round(performance.now()));
      document.body.dataset.loadMs = String(Math.round(m.loadMs));
      document.body.dataset.bootMs = String(Math.round(m.bootMs));
      status(m.how === "restored" && !isFresh ? "restored from this browser" : "fresh Docker host");
      if (m.how.startsWith("new: ")) {
        term.write("\r\n[twinbox: the saved state could not be restored (" + m.how.slice(5) + "); started afresh]\r\n");
      }
      drawnAt = -1; // the panels are drawn once the terminal is quiet
      break;
    case "reply": {
      const c = calls.get(m.id);
      if (c) {
        calls.delete(m.id);
        (m.ok ? c.resolve : c.reject)(m.value);
      }
      break;
    }
    case "failed":
      status("the simulator could not load: " + m.error);
      break;
    case "exit":
      status("simulator stopped");
      break;
    }
  };
  if (firstWorker) {
    firstWorker = false;
    worker = booting.take(onmessage);
  } else {
    worker = new Worker(el.dataset.worker);
    worker.onmessage = onmessage;
    let module;
    try {
      module = await booting.compiled;
    } catch (e) {
      status("the simulator could not load: " + e);
      return;
    }
    worker.postMessage({ type: "load", module, wasmExec: el.dataset.wasmExec });
  }
  worker.onerror = (e) => { status("simulator failed: " + e.message); };
  if (!saved) saved = await booting.fresh;
  worker.postMessage({ type: "boot", saved, rows: term.rows, cols: term.cols });
}

function call(fn, ...args) {
  const id = nextID++;
  return new Promise((resolve, reject) => {
    calls.set(id, { resolve, reject });
    worker.postMessage({ type: "call", id, fn, args });
  });
}

function type(data) {
  if (!worker) return;
  worker.postMessage({ type: "keys", data });
  lastKeys = performance.now();
  if (/[\r\n]/.test(data)) commands++;
}

term.onData((data) => {
  type(data);
  if (data.includes("\x03")) watchInterrupt();
});
term.onResize(({ rows, cols }) => worker && worker.postMessage({ type: "resize", rows, cols }));
window.addEventListener("resize", () => fit.fit());

// A ^C that the simulator cannot take (a loop that never yields) leaves
// the worker deaf: after 2 s without an answer, restart it from the state
// saved before the command.
let watching = false;
function watchInterrupt() {
  if (watching || !ready) return;
  watching = true;
  const timer = setTimeout(() => {
    worker.terminate();
    for (const c of calls.values()) c.reject("restarted");
    calls = new Map();
    term.write("\r\n[twinbox: the simulator did not answer ^C; restarted it from the state saved before the command]\r\n");
    start(localStorage.getItem(STATE_KEY));
    watching = false;
  }, 2000);
  call("ping").then(() => { clearTimeout(timer); watching = false; }, () => {});
}

// Once a command has run and neither the screen nor the keyboard has
// moved for a moment, redraw the panels and keep the state: then, not
// before the prompt, so that they never hold a command's output up, and
// not while a command is typed, so that Enter does not wait for them.
const QUIET_MS = 250;
let idleWork = false;
setInterval(async () => {
  const now = performance.now();
  if (!ready || idleWork || now - lastOutput < QUIET_MS || now - lastKeys < QUIET_MS) return;
  if (drawnAt === commands && savedAt === commands) return;
  idleWork = true;
  const n = commands;
  try {
    if (drawnAt !== n) {
      drawnAt = n;
      await refreshPanel();
    }
    if (savedAt !== n) {
      const state = await call("save");
      localStorage.setItem(STATE_KEY, state);
      savedAt = n;
      saves++;
      document.body.dataset.saves = String(saves);
    }
  } catch (e) {
    if (e !== "restarted") status("not saved: " + e);
  } finally {
    idleWork = false;
  }
}, 50);

document.getElementById("reset").addEventListener("click", () => {
  if (!confirm("Forget every image, container and file, and start a fresh Docker host?")) return;
  localStorage.removeItem(STATE_KEY);
  if (worker) worker.terminate();
  for (const c of calls.values()) c.reject("restarted");
  calls = new Map();
  term.reset();
  start(null);
});

// Panels.
let panel = "containers";
const panelEl = document.getElementById("panel");
const argEl = document.getElementById("panel-arg");
for (const b of document.querySelectorAll(".tabs button")) {
  b.addEventListener("click", () => {
    for (const o of document.querySelectorAll(".tabs button")) o.classList.toggle("on", o === b);
    panel = b.dataset.panel;
    argEl.placeholder = panel === "layers" ? "busybox" : panel === "container" ? "newest" : "";
    argEl.hidden = panel !== "layers" && panel !== "container";
    refreshPanel();
  });
}
argEl.hidden = true;
argEl.addEventListener("change", () => refreshPanel());

async function refreshPanel() {
  if (!ready) return;
  let arg = argEl.value.trim();
  if (panel === "layers" && !arg) arg = "busybox";
  try {
    panelEl.innerHTML = await call("picture", panel, arg);
    panelEl.classList.remove("error");
  } catch (e) {
    panelEl.textContent = String(e);
    panelEl.classList.add("error");
  }
  panelEl.dataset.kind = panel;
  for (const f of document.querySelectorAll("figure.viz")) drawFigure(f);
}

// Pictures in the lesson: drawn from the engine's state, redrawn with the
// panel after each command.
async function drawFigure(f) {
  const body = f.querySelector(".viz-body");
  try {
    body.innerHTML = await call("picture", f.dataset.kind, f.dataset.arg || "");
    f.classList.add("drawn");
  } catch (e) {
    body.innerHTML = "";
    const p = document.createElement("p");
    p.className = "pending";
    p.textContent = "Drawn once the steps above have run (" + e + ").";
    body.append(p);
    f.classList.remove("drawn");
  }
}
for (const f of document.querySelectorAll("figure.viz")) {
  f.querySelector("button.draw").addEventListener("click", () => ready && drawFigure(f));
}

// Steps: Run types each command once the shell shows its prompt, and what
// the learner would type once the screen shows what comes before it.
function screenLine() {
  const b = term.buffer.active;
  const l = b.getLine(b.baseY + b.cursorY);
  return l ? l.translateToString(true) : "";
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
async function waitFor(pred, ms) {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    if (pred()) return true;
    await sleep(30);
  }
  return false;
}
const atPrompt = () => /[#$] $/.test(screenLine()) && performance.now() - lastOutput > 150;

let running = Promise.resolve();
for (const step of document.querySelectorAll(".step")) {
  const button = step.querySelector("button.run");
  button.addEventListener("click", () => {
    const run = JSON.parse(step.dataset.run);
    button.disabled = true;
    step.classList.add("running");
    running = running.then(async () => {
      await waitFor(() => ready, 30000);
      for (const c of run) {
        await waitFor(atPrompt, 30000);
        const typedAt = performance.now();
        type(c.script);
        await waitFor(() => lastOutput > typedAt, 5000);
        for (const input of c.inputs || []) {
          await waitFor(() => screenLine().trimEnd().endsWith(input.after.trimEnd()) && performance.now() - lastOutput > 80, 30000);
          type(input.send);
        }
      }
      await waitFor(atPrompt, 30000);
    }).finally(() => {
      button.disabled = false;
      step.classList.remove("running");
      step.classList.add("done");
      term.focus();
    });
  });
}

start(localStorage.getItem(STATE_KEY));
term.focus();
})();
