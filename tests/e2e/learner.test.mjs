// What a learner does beyond the first steps: the editor's schema checks, a refresh that keeps
// the work, the terminal streaming a watch, the cluster view following a scale-up, and a whole
// exercise from task to pass.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  POD_YAML, launchBrowser, openPage, screenshot, startServer, terminalText, typeInTerminal,
  waitForTerminal, writeInEditor,
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

/** The messages Monaco shows as markers (schema and server diagnostics). */
async function markers(page) {
  return page.evaluate(() => window.wheelhouse.editor.markers());
}

test('the editor underlines what the Kubernetes schema does not allow', async () => {
  const { page } = await openPage(browser, server.url);
  const wrong = POD_YAML.replace('kind: Pod', 'kind: Pod\nfoo: 1').replace('apiVersion: v1', 'apiVersion: v2');
  await writeInEditor(page, wrong);
  await page.waitForFunction(
    () => window.wheelhouse.editor.markers().some((m) => m.includes('Property foo is not allowed')),
    null,
    { timeout: 15_000 },
  );
  const all = await markers(page);
  assert.ok(all.some((m) => m.includes('Value is not accepted')), all.join('\n'));
  // Mistakes are underlined inline (Monaco paints decorations on its next frame).
  await page.waitForSelector('#editor-host .squiggly-warning, #editor-host .squiggly-error', { timeout: 10_000 });
  // Hovering a mistake explains it.
  await page.hover('#editor-host .view-lines span:text-is("foo")');
  await page.waitForSelector('.monaco-hover-content:has-text("Property foo is not allowed")', { timeout: 10_000 });
  await screenshot(page, 'editor-schema-error');
  // A valid manifest clears them.
  await writeInEditor(page, POD_YAML);
  await page.waitForFunction(() => window.wheelhouse.editor.markers().length === 0, null, { timeout: 15_000 });
  await page.close();
});

test('a refresh keeps the files', async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 720 } });
  const { page } = await openPage(browser, server.url, { context });
  await writeInEditor(page, POD_YAML.replaceAll('web', 'kept'));
  await page.waitForFunction(() => document.body.dataset.saved === 'pod.yaml', null, { timeout: 5_000 });
  const session = await page.evaluate(() => document.body.dataset.session);
  await page.reload();
  await page.waitForSelector('body[data-hydrated="true"]');
  await page.waitForSelector('#editor-host[data-ready="true"]', { timeout: 30_000 });
  assert.equal(await page.evaluate(() => document.body.dataset.session), session, 'same session');
  await page.waitForFunction(() => document.querySelector('#editor-host .view-lines')?.innerText.includes('kept'));
  assert.match(await page.locator('#editor-host .view-lines').innerText(), /name:\s+kept/);
  await context.close();
});

test('the terminal streams kubectl get pods -w until Ctrl-C', async (t) => {
  const { page } = await openPage(browser, server.url);
  if ((await page.getAttribute('#terminal-host', 'data-transport')) !== 'websocket') {
    return t.skip('the terminal WebSocket is not served');
  }
  await typeInTerminal(page, 'kubectl run first --image=nginx', 'pod/first created');
  await typeInTerminal(page, 'kubectl get pods -w', 'first');
  // Another pod created while the watch runs appears in it. It is created through the session's
  // Kubernetes API (as another client would), not its shell, whose foreground line is the watch.
  const status = await page.evaluate(async () => {
    const id = document.body.dataset.session;
    const r = await fetch(`/k8s/${id}/api/v1/namespaces/default/pods`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'second' },
        spec: { containers: [{ name: 'second', image: 'nginx' }] },
      }),
    });
    return r.status;
  });
  assert.equal(status, 201);
  await waitForTerminal(page, 'second');
  // Rows stream without a second header; the new pod reaches Running as the clock advances.
  await page.getByRole('button', { name: 'Fast-forward 1 minute' }).click();
  await page.waitForFunction(
    () => /second\s+1\/1\s+Running/.test(document.querySelector('#terminal-host .xterm-rows')?.innerText ?? ''),
    null,
    { timeout: 15_000 },
  );
  // The fast-forward button took the focus: Ctrl-C goes to the terminal.
  await page.click('#terminal-host');
  await page.keyboard.press('Control+C');
  await typeInTerminal(page, 'echo done-watching', 'done-watching');
  await screenshot(page, 'terminal-watch');
  const text = await terminalText(page);
  assert.equal(text.match(/NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE/g)?.length, 1, text);
  // After Ctrl-C the prompt came back: the line typed next ran.
  assert.match(text, /done-watching/);
  await page.close();
});

test('the cluster view follows a scale-up', async () => {
  const { page } = await openPage(browser, server.url);
  await typeInTerminal(page, 'kubectl create deployment shop --image=nginx', 'deployment.apps/shop created');
  await page.waitForFunction(() => document.querySelectorAll('.pod[data-pod^="shop-"]').length === 1, null, { timeout: 15_000 });
  await typeInTerminal(page, 'kubectl scale deployment shop --replicas=4', 'deployment.apps/shop scaled');
  await page.waitForFunction(() => document.querySelectorAll('.pod[data-pod^="shop-"]').length === 4, null, { timeout: 15_000 });
  // The deployment, its ReplicaSet and the pods are drawn as a tree.
  const tree = await page.locator('.tree').innerText();
  assert.match(tree, /deployment\/shop/);
  assert.match(tree, /replicaset\/shop-/);
  // Pods settle to Running as simulated time passes.
  await page.getByRole('button', { name: 'Fast-forward 1 minute' }).click();
  await page.waitForFunction(
    () => [...document.querySelectorAll('.pod[data-pod^="shop-"]')].every((p) => p.classList.contains('ok')),
    null,
    { timeout: 15_000 },
  );
  await page.click('.pod[data-pod^="shop-"] >> nth=0');
  await page.getByRole('region', { name: 'Details' }).waitFor();
  await screenshot(page, 'cluster-scaled');
  await page.close();
});

test('a learner does a whole exercise: start, check, hint, work, pass; progress survives a refresh', async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 720 } });
  const { page } = await openPage(browser, server.url, { context });
  const exercise = page.locator('[data-exercise="explore-cluster"]');
  await exercise.waitFor({ timeout: 15_000 });
  await exercise.getByRole('button', { name: 'Start' }).click();
  await exercise.getByRole('button', { name: 'Reset' }).waitFor();

  await exercise.getByRole('button', { name: 'Check' }).click();
  const result = exercise.getByRole('status', { name: 'Check result' });
  await result.waitFor();
  assert.match(await result.innerText(), /Not yet/);
  assert.match(await result.innerText(), /✗ listed the nodes/);

  await exercise.getByRole('button', { name: /^Hint/ }).click();
  await exercise.locator('.hints li').first().waitFor();
  assert.equal(await exercise.locator('.hints li').count(), 1);

  await typeInTerminal(page, 'kubectl get nodes', 'minikube');
  await typeInTerminal(page, 'kubectl get pods -A', 'kube-system');
  await typeInTerminal(page, 'kubectl cluster-info', 'Kubernetes control plane');
  await exercise.getByRole('textbox').fill('minikube');
  await exercise.getByRole('button', { name: 'Check' }).click();
  await page.waitForFunction(
    () => document.querySelector('[data-exercise="explore-cluster"] .checks')?.innerText.includes('Passed'),
    null,
    { timeout: 10_000 },
  );
  assert.doesNotMatch(await result.innerText(), /✗/);
  await screenshot(page, 'exercise-passed');
  const progress = await page.getByRole('status', { name: 'Progress' }).innerText();
  assert.match(progress, /^1\/\d+ passed$/);

  await page.reload();
  await page.waitForSelector('body[data-hydrated="true"]');
  await page.waitForFunction(
    () => document.querySelector('.progress')?.innerText.startsWith('1/'),
    null,
    { timeout: 10_000 },
  );
  assert.match(await exercise.locator('h3').innerText(), /✓/);
  // The revealed hints come back by their own request, which may finish after the progress one.
  await exercise.locator('.hints li').first().waitFor({ timeout: 10_000 });
  assert.equal(await exercise.locator('.hints li').count(), 1, 'revealed hints stay revealed');
  await context.close();
});
