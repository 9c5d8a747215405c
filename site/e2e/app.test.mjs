// Browser tests of the web app: Debian's chromium driven by playwright-core
// against `twinbox serve` (bin/twinbox, built by make with the simulator in
// it). Screenshots go to site/e2e/artifacts. Run: make e2e.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "../..");
const artifacts = process.env.E2E_ARTIFACTS || path.join(here, "artifacts");
mkdirSync(artifacts, { recursive: true });

let server, base, browser, page;
const figures = {};

async function startServer() {
  server = spawn(path.join(root, "bin/twinbox"), ["serve", "--addr", "127.0.0.1:0"], { stdio: ["ignore", "pipe", "inherit"] });
  base = await new Promise((resolve, reject) => {
    let out = "";
    server.stdout.on("data", (d) => {
      out += d;
      const m = out.match(/http:\/\/[0-9.:]+\//);
      if (m) resolve(m[0].replace(/\/$/, ""));
    });
    server.on("exit", (code) => reject(new Error("twinbox serve exited: " + code)));
  });
}

before(async () => {
  if (process.env.TWINBOX_URL) {
    base = process.env.TWINBOX_URL.replace(/\/$/, ""); // a server already running (wrangler dev)
  } else {
    await startServer();
  }
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
  });
  page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  page.on("pageerror", (e) => console.error("page error:", e.message));
});

after(async () => {
  writeFileSync(path.join(artifacts, "figures.json"), JSON.stringify(figures, null, 2) + "\n");
  console.log("figures:", JSON.stringify(figures));
  if (browser) await browser.close();
  if (server) server.kill();
});

const shot = (name) => page.screenshot({ path: path.join(artifacts, name + ".png") });

// screen returns the terminal's text, lines trimmed.
const screen = () => page.evaluate(() => {
  const b = window.twinboxTerm.buffer.active;
  const lines = [];
  for (let i = 0; i < b.length; i++) lines.push(b.getLine(i).translateToString(true));
  return lines.join("\n").replace(/\n+$/, "");
});

// waitScreen waits until the terminal's text matches re.
async function waitScreen(re, ms = 30000) {
  const end = Date.now() + ms;
  let s = "";
  while (Date.now() < end) {
    s = await screen();
    if (re.test(s)) return s;
    await new Promise((r) => setTimeout(r, 25));
  }
  assert.fail(`the terminal never showed ${re}; it shows:\n${s}`);
}

// prompt waits until the terminal shows a prompt and nothing more for a
// moment; it returns the screen's lines.
async function prompt(more = 0, ms = 30000) {
  const end = Date.now() + ms;
  let s = "", since = Date.now();
  while (Date.now() < end) {
    const now = await screen();
    if (now !== s) { s = now; since = Date.now(); }
    const lines = s.split("\n");
    if (lines.length > more && /# $/.test(lines[lines.length - 1]) && Date.now() - since > 100) return lines;
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.fail(`no prompt; the terminal shows:\n${s}`);
}

// run types a command line and waits for the prompt to come back; it
// returns what the command printed.
async function run(line) {
  const n = (await prompt()).length;
  await page.keyboard.type(line);
  await page.keyboard.press("Enter");
  return (await prompt(n)).slice(n, -1).join("\n");
}

test("a lesson beside the terminal: steps, commands, diff, reload", async () => {
  const t0 = Date.now();
  await page.goto(base + "/lessons/01-first-container");
  await page.waitForSelector("body[data-ready='1']", { timeout: 60000 });
  await waitScreen(/# $/);
  figures.firstPromptMs = Date.now() - t0;
  Object.assign(figures, await page.evaluate(() => ({
    compileStartMs: Number(document.body.dataset.compileStartMs), readyMs: Number(document.body.dataset.readyMs),
    compileMs: Number(document.body.dataset.compileMs), instantiateMs: Number(document.body.dataset.loadMs),
    machineBootMs: Number(document.body.dataset.bootMs),
  })));
  await page.click(".xterm");

  // A lesson step: its Run button types its commands.
  const step = page.locator(".step").first();
  const first = JSON.parse(await step.getAttribute("data-run"))[0].script.replace(/\r$/, "").split("\r")[0];
  await step.locator("button.run").click();
  await waitScreen(new RegExp("# " + first.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")));
  await page.waitForSelector(".step.done", { timeout: 60000 });
  await shot("1-step");

  const hi = await run("docker run busybox echo hi");
  assert.equal(hi.trim(), "hi");

  // A container's read-write layer: added, changed and deleted files.
  await run("docker run --name changed busybox sh -c 'echo x > /newfile; rm /bin/ls; echo y >> /etc/passwd'");
  const diff = await run("docker diff changed");
  for (const want of ["A /newfile", "C /etc", "C /etc/passwd", "D /bin/ls"]) {
    assert.ok(diff.split("\n").map((l) => l.trim()).includes(want), `docker diff: no "${want}" in:\n${diff}`);
  }
  await page.click(".tabs button[data-panel='container']");
  await page.fill("#panel-arg", "changed");
  await page.press("#panel-arg", "Enter");
  await page.waitForFunction(() => (document.querySelector("#panel svg text.D") || {}).textContent === "D /bin/ls", null, { timeout: 10000 });
  await shot("2-diff");
  // The network panel draws the host's bridge, the processes panel the
  // running containers (none now); neither takes an argument.
  await page.click(".tabs button[data-panel='network']");
  await page.waitForFunction(() => (document.querySelector("#panel svg title") || {}).textContent === "Networks" && document.querySelector("#panel").textContent.includes("docker0"), null, { timeout: 10000 });
  assert.ok(await page.isHidden("#panel-arg"), "the network panel shows the argument box");
  await page.click(".tabs button[data-panel='processes']");
  await page.waitForFunction(() => (document.querySelector("#panel svg title") || {}).textContent === "Processes and namespaces", null, { timeout: 10000 });
  await shot("2-processes");
  await page.click(".xterm");

  // Commands in the browser, timed in the page from Enter to the prompt's
  // return on the screen.
  const times = [];
  for (let i = 0; i < 21; i++) {
    await prompt();
    times.push(await page.evaluate((line) => new Promise((resolve) => {
      const term = window.twinboxTerm;
      const t0 = performance.now();
      // The prompt again, below the line the command was typed on (the
      // echo, the output and the prompt may come in one write).
      let lines = 0;
      const lf = term.onLineFeed(() => { lines++; });
      const d = term.onWriteParsed(() => {
        const b = term.buffer.active;
        const l = b.getLine(b.baseY + b.cursorY).translateToString(false).trimEnd();
        if (lines > 0 && l === "~ #" && b.cursorX === 4) {
          d.dispose();
          lf.dispose();
          resolve(performance.now() - t0);
        }
      });
      window.twinboxType(line + "\r");
    }), i % 2 ? "docker diff changed" : "docker ps"));
  }
  times.sort((a, b) => a - b);
  figures.commandP50Ms = Math.round(times[Math.floor(times.length / 2)] * 10) / 10;
  figures.commandMaxMs = Math.round(times[times.length - 1] * 10) / 10;

  // The state is kept: after a reload the containers are still there.
  const saves = Number(await page.evaluate(() => document.body.dataset.saves || 0));
  await page.waitForFunction((n) => Number(document.body.dataset.saves || 0) > n, saves, { timeout: 10000 });
  const t1 = Date.now();
  await page.reload();
  await page.waitForSelector("body[data-ready='1']", { timeout: 60000 });
  await waitScreen(/# $/);
  figures.reloadToPromptMs = Date.now() - t1;
  figures.restoredBootMs = Number(await page.evaluate(() => document.body.dataset.bootMs));
  await page.click(".xterm");
  const ps = await run("docker ps -a --format '{{.Names}} {{.Status}}'");
  assert.match(ps, /^changed Exited \(0\)/m);
  const diff2 = await run("docker diff changed");
  assert.match(diff2, /^D \/bin\/ls$/m);
  await shot("3-reloaded");
});

test("bad input leaves the page responsive: a loop stopped by ^C, 100 KB typed, garbage", async () => {
  await page.goto(base + "/lessons/02-container-lifecycle");
  await page.waitForSelector("body[data-ready='1']", { timeout: 60000 });
  await prompt();
  // The lesson's picture of the life cycle is drawn from the engine.
  await page.waitForSelector("figure.viz.drawn svg", { timeout: 10000 });
  await page.click(".xterm");
  const saved = Number(await page.evaluate(() => document.body.dataset.saves || 0));
  await run("docker run --name before-loop busybox true");
  await page.waitForFunction((n) => Number(document.body.dataset.saves || 0) > n, saved, { timeout: 10000 });

  // The loop never waits, but the shell yields to the page now and then:
  // what it printed first shows, and ^C stops it without a restart.
  await page.keyboard.type("echo looping; while true; do :; done");
  await page.keyboard.press("Enter");
  await waitScreen(/^looping$/m, 10000);
  await new Promise((r) => setTimeout(r, 500));
  const t = Date.now();
  await page.keyboard.press("Control+C");
  await prompt(0, 20000);
  figures.interruptMs = Date.now() - t;
  assert.ok(!(await screen()).includes("did not answer ^C"), "^C restarted the simulator instead of stopping the loop");
  assert.equal((await run("echo still here")).trim(), "still here");

  // 100 KB on one line: the terminal's line limit, then a prompt again.
  await page.evaluate(() => window.twinboxType("echo " + "x".repeat(100 * 1024) + "\r"));
  await prompt(0, 30000);
  // An unbalanced quote: the second prompt, left with ^C.
  await page.keyboard.type("echo 'unbalanced");
  await page.keyboard.press("Enter");
  await waitScreen(/\n> $/);
  await page.keyboard.press("Control+C");
  await prompt();
  const garbage = await run("\u00e9\u00e8 ;; ][ $((");
  assert.match(garbage, /syntax error|not found/);
  // The restart after the loop kept what was there before it.
  assert.match(await run("docker ps -a --format '{{.Names}}'"), /^before-loop$/m);
  await shot("4-bad-input");
});

test("every lesson can be followed to its end with its Run buttons", async () => {
  const lessons = await page.goto(base + "/").then(() => page.$$eval("ol.lessons a", (as) => as.map((a) => a.getAttribute("href"))));
  assert.ok(lessons.length > 0, "no lessons on the index");
  for (const href of lessons) {
    await page.goto(base + href);
    await page.waitForSelector("body[data-ready='1']", { timeout: 60000 });
    // Each lesson starts from a fresh engine, as the lesson runner does.
    page.once("dialog", (d) => d.accept());
    await page.click("#reset");
    await page.waitForSelector("body[data-ready='1']", { timeout: 60000 });
    await prompt();
    const steps = await page.$$(".step");
    for (const [i, step] of steps.entries()) {
      await (await step.$("button.run")).click();
      await page.waitForFunction((el) => el.classList.contains("done") && !el.classList.contains("running"), step, { timeout: 90000 });
      await prompt(0, 60000).catch(async (e) => {
        await shot("lesson-" + href.split("/").pop() + "-step" + (i + 1));
        throw e;
      });
    }
    const text = await screen();
    await shot("lesson-" + href.split("/").pop());
    // Errors the lesson does not show were not meant to happen.
    const shown = await page.$$eval(".step pre.console", (ps) => ps.map((p) => p.textContent).join("\n"));
    for (const bad of ["not found", "syntax error", "unknown command", "Error response from daemon", "Usage:"]) {
      if (!shown.includes(bad)) assert.ok(!text.includes(bad), `${href}: the terminal shows "${bad}":\n${text}`);
    }
  }
});
