// The walking skeleton in a real browser: the page hydrates, the terminal answers kubectl, and a
// manifest written in the editor is applied (from the editor's Apply button and from the
// terminal) and shows up in `kubectl get pods` and in the cluster view.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  POD_YAML, hasKubectl, launchBrowser, openPage, screenshot, startServer, terminalText, typeInTerminal,
  writeInEditor,
} from './helpers.mjs';

let server;
let browser;
let apply = true;

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
  apply = await hasKubectl(server.url, 'apply');
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

test('the page hydrates and the terminal runs kubectl get nodes', async () => {
  const { page, errors } = await openPage(browser, server.url);
  for (const label of ['Lesson', 'Editor', 'Terminal', 'Cluster']) {
    assert.equal(await page.getByRole('region', { name: label, exact: true }).count(), 1, label);
  }
  await typeInTerminal(page, 'kubectl get nodes', 'minikube');
  const text = await terminalText(page);
  assert.match(text, /NAME\s+STATUS\s+ROLES\s+AGE\s+VERSION/);
  assert.match(text, /minikube\s+Ready\s+control-plane/);
  // The cluster view shows the node too.
  await page.waitForSelector('[data-node="minikube"]');
  await screenshot(page, 'workbench');
  // The dark theme.
  await page.getByRole('button', { name: 'Switch between light and dark theme' }).click();
  assert.equal(await page.getAttribute('html', 'data-theme'), 'dark');
  await screenshot(page, 'workbench-dark');
  assert.deepEqual(errors, []);
  await page.close();
});

test('a Pod written in the editor is applied by the Apply button and appears everywhere', async (t) => {
  if (!apply) return t.skip('the terminal has no kubectl apply yet');
  const { page } = await openPage(browser, server.url);
  await writeInEditor(page, POD_YAML);
  await page.click('#apply');
  const result = page.getByRole('status', { name: 'Apply result' });
  await result.waitFor();
  assert.match(await result.innerText(), /pod\/web created/);
  await typeInTerminal(page, 'kubectl get pods', 'web');
  assert.match(await terminalText(page), /NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE/);
  await page.waitForSelector('.pod[data-pod="web"]', { timeout: 10_000 });
  await screenshot(page, 'applied-pod');
  await page.close();
});

test('kubectl apply -f in the terminal reads the editor file', async (t) => {
  if (!apply) return t.skip('the terminal has no kubectl apply yet');
  const { page } = await openPage(browser, server.url);
  await writeInEditor(page, POD_YAML.replaceAll('web', 'api'));
  // Save happens a moment after typing; Apply from the terminal must see the saved file.
  await page.waitForFunction(() => document.body.dataset.saved === 'pod.yaml', null, { timeout: 5_000 });
  await typeInTerminal(page, 'kubectl apply -f pod.yaml', 'pod/api created');
  await typeInTerminal(page, 'kubectl get pods', 'api ');
  await page.waitForSelector('.pod[data-pod="api"]', { timeout: 10_000 });
  await page.close();
});
