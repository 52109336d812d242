// Shared set-up of the end-to-end tests: a real `wheelhouse serve` on a free port with its own data
// directory, and Debian's headless Chromium driven by playwright-core.
//
// Environment: WHEELHOUSE_BIN (default target/debug/wheelhouse), WHEELHOUSE_SITE (default
// target/site), CHROMIUM (default /usr/bin/chromium).
import { spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const SCREENSHOTS = join(ROOT, 'target/screenshots');

function freePort() {
  return new Promise((done, fail) => {
    const probe = createServer();
    probe.once('error', fail);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => done(port));
    });
  });
}

/** Starts a server; resolves once it answers /healthz. */
export async function startServer() {
  const port = await freePort();
  const data = mkdtempSync(join(tmpdir(), 'wheelhouse-e2e-'));
  const bin = process.env.WHEELHOUSE_BIN || join(ROOT, 'target/debug/wheelhouse');
  const site = process.env.WHEELHOUSE_SITE || join(ROOT, 'target/site');
  const child = spawn(bin, ['serve', '--addr', `127.0.0.1:${port}`, '--data', data, '--site', site], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  child.stdout.on('data', (d) => (log += d));
  child.stderr.on('data', (d) => (log += d));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`wheelhouse exited (${child.exitCode}):\n${log}`);
    try {
      const r = await fetch(`${url}/healthz`);
      if (r.ok) break;
    } catch {}
    if (Date.now() > deadline) throw new Error(`wheelhouse did not start:\n${log}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    log: () => log,
    async stop() {
      child.kill('SIGTERM');
      await new Promise((r) => (child.exitCode !== null ? r() : child.once('exit', r)));
      rmSync(data, { recursive: true, force: true });
    },
  };
}

export async function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
}

/** Endpoints of the contract whose absence the page copes with (it says so in place). */
const OPTIONAL_ENDPOINTS = ['/api/lessons'];

/** Whether the session's terminal has `kubectl <verb>` (the kubectl emulation grows verb by verb). */
export async function hasKubectl(url, verb) {
  const session = await fetch(`${url}/api/sessions`, { method: 'POST' }).then((r) => r.json());
  const out = await fetch(`${url}/api/sessions/${session.id}/shell`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${session.token}` },
    body: JSON.stringify({ line: `kubectl ${verb} --help` }),
  }).then((r) => r.json());
  return !/not available|unknown command/.test(out.stderr);
}

/** Opens the page at 1280x720 and waits until the app has hydrated and the terminal is ready. */
export async function openPage(browser, url, { context } = {}) {
  const ctx = context ?? (await browser.newContext({ viewport: { width: 1280, height: 720 } }));
  const page = await ctx.newPage();
  // Script errors, and failed requests other than endpoints still being built elsewhere.
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('response', (r) => {
    if (r.status() >= 400 && !OPTIONAL_ENDPOINTS.some((p) => r.url().includes(p))) {
      errors.push(`${r.status()} ${r.url()}`);
    }
  });
  await page.goto(url);
  await page.waitForSelector('body[data-hydrated="true"]', { timeout: 20_000 });
  await page.waitForSelector('#terminal-host[data-ready="true"]', { timeout: 20_000 });
  return { page, context: ctx, errors };
}

/** The terminal's visible text. */
export async function terminalText(page) {
  return page.locator('#terminal-host .xterm-rows').innerText();
}

/** Types a line into the terminal like a learner and waits for `expected` to appear. */
export async function typeInTerminal(page, line, expected, timeout = 10_000) {
  await page.click('#terminal-host');
  await page.keyboard.type(line);
  await page.keyboard.press('Enter');
  if (expected !== undefined) await waitForTerminal(page, expected, timeout);
}

export async function waitForTerminal(page, expected, timeout = 10_000) {
  await page.waitForFunction(
    ([text]) => document.querySelector('#terminal-host .xterm-rows')?.innerText.includes(text),
    [expected],
    { timeout },
  );
}

/** Waits for Monaco, then replaces the open file's text by pasting (typing would auto-indent). */
export async function writeInEditor(page, text) {
  await page.waitForSelector('#editor-host[data-ready="true"]', { timeout: 30_000 });
  await page.click('#editor-host .monaco-editor .view-lines');
  await page.keyboard.press('Control+A');
  await page.keyboard.press('Delete');
  await page.evaluate((text) => {
    const data = new DataTransfer();
    data.setData('text/plain', text);
    document.activeElement.dispatchEvent(new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }));
  }, text);
}

export async function screenshot(page, name) {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const path = join(SCREENSHOTS, `${name}.png`);
  await page.screenshot({ path });
  return path;
}

export const POD_YAML = `apiVersion: v1
kind: Pod
metadata:
  name: web
  labels:
    app: web
spec:
  containers:
  - name: nginx
    image: nginx:1.27
`;
