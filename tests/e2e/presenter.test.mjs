// Presenter mode: the instructor opens their own playground from the class dashboard, in a layout
// for a projector (large type; lesson, terminal and cluster view), and can switch it off and on.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { launchBrowser, screenshot, startServer, typeInTerminal } from './helpers.mjs';

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

/** Font size (px) of an element's computed style, times the zoom it is shown at. */
async function shownFontSize(page, selector) {
  return page.evaluate((selector) => {
    const el = document.querySelector(selector);
    let zoom = 1;
    for (let e = el; e; e = e.parentElement) zoom *= Number(getComputedStyle(e).zoom) || 1;
    return parseFloat(getComputedStyle(el).fontSize) * zoom;
  }, selector);
}

test('the instructor opens their own playground in presenter mode from the dashboard', async () => {
  const created = await fetch(`${server.url}/api/classrooms`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ title: 'Projector class', lessons: ['01-cluster-architecture'], size_limit: 5 }),
  }).then((r) => r.json());
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  const dashboard = await context.newPage();
  await dashboard.goto(`${server.url}${created.instructor_url}`);
  await dashboard.waitForFunction(() => document.querySelector('#title')?.textContent === 'Projector class');

  const [page] = await Promise.all([
    context.waitForEvent('page'),
    dashboard.getByRole('button', { name: 'Presenter mode' }).click(),
  ]);
  await page.waitForSelector('body[data-hydrated="true"]', { timeout: 20_000 });
  await page.waitForSelector('#terminal-host[data-ready="true"]', { timeout: 20_000 });
  assert.match(page.url(), /[?&]presenter=1/);
  // Server-rendered in the presenter layout (no flash of the workbench first).
  assert.equal(await page.getAttribute('html', 'data-layout'), 'presenter');

  // It is the class's presenter session, not a new anonymous one.
  const classroom = await fetch(`${server.url}/api/classrooms/${created.id}`, {
    headers: { authorization: `Bearer ${created.instructor_token}` },
  }).then((r) => r.json());
  assert.equal(await page.evaluate(() => document.body.dataset.session), classroom.presenter_session);

  // Lesson, terminal and cluster view; no editor; large type.
  for (const label of ['Lesson', 'Terminal', 'Cluster']) {
    assert.ok(await page.getByRole('region', { name: label, exact: true }).isVisible(), label);
  }
  assert.equal(await page.getByRole('region', { name: 'Editor', exact: true }).isVisible(), false);
  assert.ok(await shownFontSize(page, '.lesson-text p') >= 18, 'lesson text is large');
  assert.ok(await shownFontSize(page, '#terminal-host .xterm-rows') >= 20, 'terminal text is large');
  const toggle = page.getByRole('button', { name: 'Presenter' });
  assert.equal(await toggle.getAttribute('aria-pressed'), 'true');

  await typeInTerminal(page, 'kubectl get nodes', 'minikube');
  await screenshot(page, 'presenter');

  // The toggle switches back to the workbench (and the address follows, so a refresh agrees).
  await toggle.click();
  assert.equal(await page.getAttribute('html', 'data-layout'), 'workbench');
  assert.equal(await toggle.getAttribute('aria-pressed'), 'false');
  assert.doesNotMatch(page.url(), /presenter=1/);
  assert.ok(await page.getByRole('region', { name: 'Editor', exact: true }).isVisible());
  assert.ok(await shownFontSize(page, '.lesson-text p') < 16);
  await toggle.click();
  assert.equal(await page.getAttribute('html', 'data-layout'), 'presenter');
  await page.reload();
  await page.waitForSelector('body[data-hydrated="true"]');
  assert.equal(await page.getAttribute('html', 'data-layout'), 'presenter', 'a refresh keeps presenter mode');
  await context.close();
});
