// The workbench as a desktop tool: splitters that resize the panes (pointer and keyboard) and are
// remembered, keyboard shortcuts, the simulated clock's pause and fast-forward, click-to-describe
// in the cluster view, and the server's validation errors shown at their line in the editor.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  POD_YAML, launchBrowser, openPage, screenshot, startServer, typeInTerminal, writeInEditor,
} from './helpers.mjs';

let server;
let browser;

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

/** The rendered sizes of the four panes. */
async function paneSizes(page) {
  return page.evaluate(() => {
    const box = (sel) => {
      const r = document.querySelector(sel).getBoundingClientRect();
      return { width: Math.round(r.width), height: Math.round(r.height) };
    };
    return {
      lesson: box('#pane-lesson'),
      editor: box('#pane-editor'),
      terminal: box('#pane-terminal'),
      cluster: box('#pane-cluster'),
    };
  });
}

/** Drags the middle of a splitter by (dx, dy) with the mouse. */
async function drag(page, name, dx, dy) {
  const r = await page.locator(`[data-split="${name}"]`).boundingBox();
  const x = r.x + r.width / 2;
  const y = r.y + r.height / 2;
  await page.mouse.move(x, y);
  await page.mouse.down();
  await page.mouse.move(x + dx / 2, y + dy / 2, { steps: 4 });
  await page.mouse.move(x + dx, y + dy, { steps: 4 });
  await page.mouse.up();
}

test('splitters resize the panes by pointer and keyboard, and a reload keeps the sizes', async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 720 } });
  const { page, errors } = await openPage(browser, server.url, { context });
  const separators = page.getByRole('separator');
  assert.equal(await separators.count(), 3);
  for (const [name, orientation] of [['lesson', 'vertical'], ['cluster', 'vertical'], ['editor', 'horizontal']]) {
    const s = page.locator(`[data-split="${name}"]`);
    assert.equal(await s.getAttribute('aria-orientation'), orientation, name);
    assert.equal(await s.getAttribute('tabindex'), '0', `${name} is focusable`);
    assert.match(await s.getAttribute('aria-label'), /^Resize the /);
    assert.ok(Number(await s.getAttribute('aria-valuenow')) > 0, `${name} has a value`);
  }
  const before = await paneSizes(page);

  // The keyboard: the cluster pane grows to the left with ArrowLeft, by 2 % a press.
  const cluster = page.locator('[data-split="cluster"]');
  const valueBefore = Number(await cluster.getAttribute('aria-valuenow'));
  await cluster.focus();
  for (let i = 0; i < 3; i += 1) await page.keyboard.press('ArrowLeft');
  assert.equal(Number(await cluster.getAttribute('aria-valuenow')), valueBefore + 6);
  const keyed = await paneSizes(page);
  assert.ok(keyed.cluster.width >= before.cluster.width + 60, `cluster ${before.cluster.width} → ${keyed.cluster.width}`);

  // The pointer.
  await drag(page, 'lesson', 130, 0);
  await drag(page, 'editor', 0, -90);
  const dragged = await paneSizes(page);
  assert.ok(dragged.lesson.width >= before.lesson.width + 110, `lesson ${before.lesson.width} → ${dragged.lesson.width}`);
  assert.ok(dragged.editor.height <= before.editor.height - 70, `editor ${before.editor.height} → ${dragged.editor.height}`);
  assert.ok(dragged.terminal.height >= before.terminal.height + 70, 'the terminal takes what the editor gives');
  assert.equal(dragged.cluster.width, keyed.cluster.width, 'the other side stays');
  await screenshot(page, 'layout-resized');

  // A reload keeps all of it.
  await page.reload();
  await page.waitForSelector('body[data-hydrated="true"]');
  const reloaded = await paneSizes(page);
  for (const pane of ['lesson', 'cluster']) {
    assert.ok(Math.abs(reloaded[pane].width - dragged[pane].width) <= 2, `${pane} width after reload`);
  }
  assert.ok(Math.abs(reloaded.editor.height - dragged.editor.height) <= 2, 'editor height after reload');
  assert.equal(Number(await cluster.getAttribute('aria-valuenow')), valueBefore + 6);

  // Limits: the lesson pane cannot squeeze the centre away.
  await drag(page, 'lesson', 900, 0);
  const limited = await paneSizes(page);
  // 30 % of the workbench (1280 px less its 8 px padding each side), less the two splitters.
  assert.ok(limited.editor.width >= Math.floor(0.3 * 1264) - 16, `the centre keeps ${limited.editor.width}px`);
  assert.ok(limited.lesson.width <= Math.ceil(0.45 * 1264), 'nor grow past its maximum');
  assert.deepEqual(errors, []);
  await context.close();
});

test('every pane is usable at 1280x720 and at 1440x900', async () => {
  for (const viewport of [{ width: 1280, height: 720 }, { width: 1440, height: 900 }]) {
    const context = await browser.newContext({ viewport });
    const { page } = await openPage(browser, server.url, { context });
    const sizes = await paneSizes(page);
    for (const [pane, { width, height }] of Object.entries(sizes)) {
      assert.ok(width >= 240 && height >= 150, `${pane} at ${viewport.width}x${viewport.height}: ${width}x${height}`);
    }
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - innerWidth);
    assert.ok(overflow <= 0, `no horizontal scrolling at ${viewport.width}px`);
    await screenshot(page, `layout-${viewport.width}x${viewport.height}`);
    await context.close();
  }
});

test('keyboard shortcuts: Ctrl+Enter applies, Ctrl+` and Ctrl+Shift+E move focus, ? lists them', async () => {
  const { page } = await openPage(browser, server.url);
  await writeInEditor(page, POD_YAML.replaceAll('web', 'keyed'));
  // Pressed inside Monaco, which would otherwise insert a line.
  await page.keyboard.press('Control+Enter');
  await page.waitForFunction(
    () => document.querySelector('.apply-result')?.innerText.includes('pod/keyed created'),
    null,
    { timeout: 10_000 },
  );
  assert.equal(await page.evaluate(() => document.querySelectorAll('#editor-host .view-line').length), POD_YAML.split('\n').length, 'no line inserted');

  await page.keyboard.press('Control+`');
  assert.ok(await page.evaluate(() => Boolean(document.activeElement.closest('#terminal-host'))), 'terminal focused');
  await page.keyboard.press('Control+Shift+E');
  assert.ok(await page.evaluate(() => Boolean(document.activeElement.closest('#editor-host'))), 'editor focused');

  // `?` typed in the editor is text; outside it, it opens the list.
  await page.locator('.topbar .brand').click();
  await page.keyboard.press('?');
  const dialog = page.getByRole('dialog', { name: 'Keyboard shortcuts' });
  await dialog.waitFor();
  assert.match(await dialog.innerText(), /Ctrl\+Enter\s+Apply the open file/);
  await screenshot(page, 'shortcuts');
  await page.keyboard.press('Escape');
  await dialog.waitFor({ state: 'detached' });
  await page.getByRole('button', { name: 'Keyboard shortcuts' }).click();
  await dialog.waitFor();
  await page.close();
});

/** The simulated time the clock shows, in seconds since midnight. */
async function shownTime(page) {
  const text = await page.getByLabel('Simulated time').innerText();
  const [h, m, s] = text.trim().split(':').map(Number);
  return h * 3600 + m * 60 + s;
}

test('the clock pauses, fast-forwards while paused, stays paused across a reload, and resumes', async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 720 } });
  const { page } = await openPage(browser, server.url, { context });
  await page.waitForFunction(() => /\d\d:\d\d:\d\d/.test(document.querySelector('.clock-now')?.innerText));
  const pause = page.getByRole('button', { name: 'Pause the simulated clock' });
  assert.equal(await pause.getAttribute('aria-pressed'), 'false');
  await pause.click();
  await page.waitForSelector('#clock-pause[aria-pressed="true"]');
  await page.locator('.clock-paused').waitFor();
  const stopped = await shownTime(page);
  await page.waitForTimeout(2500);
  assert.equal(await shownTime(page), stopped, 'a paused clock stands still');

  await page.getByRole('button', { name: 'Fast-forward 1 minute' }).click();
  await page.waitForFunction((t) => {
    const [h, m, s] = document.querySelector('.clock-now').innerText.split(':').map(Number);
    return (h * 3600 + m * 60 + s) % 86400 === (t + 60) % 86400;
  }, stopped);
  await screenshot(page, 'clock-paused');

  await page.reload();
  await page.waitForSelector('body[data-hydrated="true"]');
  await page.waitForSelector('#clock-pause[aria-pressed="true"]');
  await page.waitForTimeout(1500);
  assert.equal(await shownTime(page), (stopped + 60) % 86400, 'still paused after a reload');

  await page.getByRole('button', { name: 'Pause the simulated clock' }).click();
  await page.waitForSelector('#clock-pause[aria-pressed="false"]');
  await page.waitForFunction((t) => {
    const [h, m, s] = document.querySelector('.clock-now').innerText.split(':').map(Number);
    return (h * 3600 + m * 60 + s) % 86400 !== t;
  }, (stopped + 60) % 86400, { timeout: 5_000 });
  await context.close();
});

test('clicking a pod, a node, a deployment, a replica set or a service shows kubectl describe', async () => {
  const { page } = await openPage(browser, server.url);
  await typeInTerminal(page, 'kubectl create deployment shop --image=nginx', 'deployment.apps/shop created');
  await typeInTerminal(page, 'kubectl expose deployment shop --port=80', 'service/shop exposed');
  await typeInTerminal(page, 'kubectl run broken --image=nginx:no-such-tag', 'pod/broken created');
  await page.getByRole('button', { name: 'Fast-forward 1 minute' }).click();
  await page.waitForSelector('.pod.failing[data-pod="broken"]', { timeout: 15_000 });
  const details = page.getByRole('region', { name: 'Details' });

  await page.click('.pod[data-pod="broken"]');
  await details.waitFor();
  await page.waitForFunction(() => document.querySelector('.details pre')?.innerText.includes('Events:'));
  const pod = await details.innerText();
  assert.match(pod, /pod\/broken/);
  assert.match(pod, /\$ kubectl describe pod broken -n default/);
  assert.match(pod, /Name:\s+broken/);
  assert.match(pod, /Failed/, 'the failing pull is among its events');
  await screenshot(page, 'describe-failing-pod');

  for (const [selector, expected] of [
    ['[data-describe="node/minikube"]', /Name:\s+minikube[\s\S]*Roles:\s+control-plane/],
    ['[data-describe="deployment/shop"]', /Name:\s+shop[\s\S]*Replicas:/],
    ['[data-describe^="replicaset/shop-"]', /Name:\s+shop-[\s\S]*Controlled By:\s+Deployment\/shop/],
    ['[data-describe="service/shop"]', /Name:\s+shop[\s\S]*Type:\s+ClusterIP/],
  ]) {
    await page.click(selector);
    await page.waitForFunction(
      (source) => new RegExp(source).test(document.querySelector('.details pre')?.innerText ?? ''),
      expected.source,
      { timeout: 10_000 },
    );
  }
  await page.getByRole('button', { name: 'Close the details' }).click();
  await details.waitFor({ state: 'detached' });
  await page.close();
});

const BAD_DEPLOYMENT = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: typo
spec:
  replica: 3
  selector:
    matchLabels:
      app: typo
  template:
    metadata:
      labels:
        app: typo
    spec:
      containers:
      - name: nginx
        image: nginx
`;

test('the server\'s validation errors are shown at their line in the editor', async () => {
  const { page } = await openPage(browser, server.url);
  await writeInEditor(page, BAD_DEPLOYMENT);
  await page.click('#apply');
  await page.getByRole('status', { name: 'Apply result' }).waitFor();
  await page.waitForFunction(() => window.wheelhouse.editor.serverMarkers().length > 0);
  let markers = await page.evaluate(() => window.wheelhouse.editor.serverMarkers());
  assert.equal(markers.length, 1, JSON.stringify(markers));
  assert.match(markers[0].message, /strict decoding error: unknown field "spec.replica"/);
  assert.deepEqual([markers[0].line, markers[0].column], [6, 3], 'on the `replica:` key');
  // Shown inline: an error squiggle, and its message on hover.
  // Monaco paints decorations on its next frame.
  await page.waitForSelector('#editor-host .squiggly-error', { timeout: 10_000 });
  await page.hover('#editor-host .view-lines span:text-is("replica")');
  await page.waitForSelector('.monaco-hover-content:has-text("unknown field")', { timeout: 10_000 });
  await page.waitForTimeout(300); // the hover fades in
  await screenshot(page, 'editor-server-diagnostic');

  // A missing required field marks the container it is missing from.
  await writeInEditor(page, BAD_DEPLOYMENT.replace('replica:', 'replicas:').replace('        image: nginx\n', ''));
  await page.click('#apply');
  await page.waitForFunction(() => window.wheelhouse.editor.serverMarkers().some((m) => m.message.includes('Required value')));
  markers = await page.evaluate(() => window.wheelhouse.editor.serverMarkers());
  assert.match(markers[0].message, /spec.template.spec.containers\[0\].image: Required value/);
  assert.equal(markers[0].line, 16, 'the `- name: nginx` item');

  // Fixed, the markers go.
  await writeInEditor(page, BAD_DEPLOYMENT.replace('replica:', 'replicas:'));
  await page.click('#apply');
  await page.waitForFunction(() => window.wheelhouse.editor.serverMarkers().length === 0);
  await page.getByRole('status', { name: 'Apply result' }).filter({ hasText: 'deployment.apps/typo created' }).waitFor({ timeout: 10_000 });
  await page.close();
});
