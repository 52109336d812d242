// The instructor dashboard in a real browser: learners join and work through the API, the
// dashboard shows them live (pushed over server-sent events), marks who is stuck and the most
// common failing check, opens a learner's history, locks the class; a learner joins from the
// join page.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { launchBrowser, screenshot, startServer } from './helpers.mjs';

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

async function api(method, path, { token, body } = {}) {
  const r = await fetch(`${server.url}${path}`, {
    method,
    headers: {
      'content-type': 'application/json',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await r.text();
  return { status: r.status, json: text ? JSON.parse(text) : null };
}

const QUIZ = {
  state: 'etcd', placement: 'kube-scheduler', agent: 'kubelet', 'front-door': 'kube-apiserver',
  'docker-vs-k8s': 'an orchestrator', healing: 'a controller',
};

const UNTAGGED_POD = `apiVersion: v1
kind: Pod
metadata: {name: web, labels: {app: web}}
spec:
  containers:
    - name: nginx
      image: nginx
      ports: [{containerPort: 80}]
`;

async function join(code, name) {
  const r = await api('POST', '/api/classrooms/join', { body: { code, name } });
  assert.equal(r.status, 201, JSON.stringify(r.json));
  return r.json;
}

test('the dashboard shows a class live and acts on it', async () => {
  const created = await api('POST', '/api/classrooms', {
    body: { title: 'Tuesday cohort', lessons: ['01-cluster-architecture', '02-pods'], size_limit: 10 },
  });
  assert.equal(created.status, 201);
  const { id, join_code: code, instructor_token: token, instructor_url } = created.json;
  const [ada, bob, cy] = [await join(code, 'Ada'), await join(code, 'Bob'), await join(code, 'Cy')];

  // Ada passes the quiz; Bob fails the pod exercise three times with an untagged image.
  const quiz = await api('POST', `/api/sessions/${ada.id}/exercises/architecture-quiz/check`, {
    token: ada.token, body: { answers: QUIZ },
  });
  assert.equal(quiz.json.passed, true);
  await api('POST', `/api/sessions/${bob.id}/exercises/first-pod/start`, { token: bob.token });
  await fetch(`${server.url}/api/sessions/${bob.id}/files/pod.yaml`, {
    method: 'PUT', headers: { authorization: `Bearer ${bob.token}` }, body: UNTAGGED_POD,
  });
  await api('POST', `/api/sessions/${bob.id}/shell`, { token: bob.token, body: { line: 'kubectl apply -f pod.yaml' } });
  for (let i = 0; i < 3; i++) {
    const r = await api('POST', `/api/sessions/${bob.id}/exercises/first-pod/check`, { token: bob.token, body: {} });
    assert.equal(r.json.passed, false);
  }

  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${server.url}${instructor_url}`);
  await page.waitForSelector('body[data-live="true"]', { timeout: 15_000 });

  assert.equal(await page.locator('#title').innerText(), 'Tuesday cohort');
  assert.equal(await page.locator('#join-code').innerText(), code);
  assert.equal(await page.locator('#grid tbody tr').count(), 3);
  const cell = (session, exercise) => page.locator(`tr[data-session="${session}"] td[data-exercise="${exercise}"]`);
  assert.equal(await cell(ada.id, 'architecture-quiz').getAttribute('data-status'), 'passed');
  assert.equal(await cell(bob.id, 'first-pod').getAttribute('data-status'), 'working');
  assert.match(await page.locator(`tr[data-session="${bob.id}"]`).getAttribute('class'), /stuck/);
  assert.equal(await page.locator('#stuck').innerText(), '1');
  assert.match(await page.locator('#failing').innerText(), /\(first-pod, 1\)$/);
  assert.equal(await cell(cy.id, 'architecture-quiz').getAttribute('data-status'), 'not_started');

  // Cy passes the quiz: the dashboard updates by itself.
  await api('POST', `/api/sessions/${cy.id}/exercises/architecture-quiz/check`, { token: cy.token, body: { answers: QUIZ } });
  await page.waitForSelector(`tr[data-session="${cy.id}"] td[data-exercise="architecture-quiz"][data-status="passed"]`, { timeout: 10_000 });

  // Open Bob's session: his terminal history is there, read-only commands run on a copy.
  await page.locator(`tr[data-session="${bob.id}"] button`).click();
  await page.waitForSelector('#learner:not([hidden])');
  assert.match(await page.locator('#learner-history').innerText(), /kubectl apply -f pod\.yaml/);
  await page.fill('#learner-line', 'kubectl get pods');
  await page.click('#learner-shell button');
  await page.waitForFunction(() => document.querySelector('#learner-out').innerText.includes('web'));
  await screenshot(page, 'dashboard');

  // Lock the class: joining is refused until it is unlocked.
  await page.click('#lock');
  await page.waitForFunction(() => document.querySelector('#state').innerText === 'locked');
  assert.equal((await api('POST', '/api/classrooms/join', { body: { code, name: 'Dee' } })).status, 403);
  await page.click('#lock');
  await page.waitForFunction(() => document.querySelector('#state').innerText === 'open');

  // A learner joins from the join link in another browser.
  const learnerContext = await browser.newContext();
  const joinPage = await learnerContext.newPage();
  await joinPage.goto(`${server.url}/join?code=${code.toLowerCase()}`);
  await joinPage.fill('#name', 'Dee');
  await joinPage.click('button');
  await joinPage.waitForURL(`${server.url}/`);
  const cookies = await learnerContext.cookies();
  assert.ok(cookies.some((c) => c.name === 'wheelhouse_session' && c.httpOnly));
  await page.waitForFunction(() => document.querySelector('#learner-count').innerText === '4', null, { timeout: 10_000 });
  await learnerContext.close();

  // The CSV export link carries the token and downloads the table.
  const csvHref = await page.locator('#csv').getAttribute('href');
  const csv = await fetch(`${server.url}${csvHref}`).then((r) => r.text());
  assert.match(csv, /^name,session,exercise,status,attempts,hints,stuck,failing_checks\n/);
  assert.match(csv, new RegExp(`Bob,${bob.id},first-pod,working,3,0,yes,`));

  // Without the token, the page shows the refusal and nothing else.
  const stranger = await browser.newContext();
  const strangerPage = await stranger.newPage();
  await strangerPage.goto(`${server.url}/classrooms/${id}`);
  await strangerPage.waitForSelector('#error:not([hidden])');
  assert.match(await strangerPage.locator('#error').innerText(), /instructor token is required/);
  assert.equal(await strangerPage.locator('#grid tbody tr').count(), 0);
  await stranger.close();

  assert.deepEqual(errors, []);
  await context.close();
});
