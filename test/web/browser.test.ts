/**
 * The web UI in a real browser (playwright-core driving Debian chromium) against a real `stint serve`:
 * sign in, create a session, watch the plan arrive live, approve, answer, see COMPLETED and the diff;
 * another tenant gets a 404 page. No console errors anywhere.
 * STINT_UPDATE_SCREENSHOTS=1 also writes docs/screenshots/*.png.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type Browser, type BrowserContext, chromium, type Locator, type Page } from 'playwright-core';
import { deploymentMode } from '../support/deployment.ts';
import { addSource, makeBareRepo, scriptPrompt } from '../support/git-fixtures.ts';
import {
  api,
  cliEntry,
  makeTempDir,
  repoRoot,
  type StartedServer,
  startServer,
  waitUntil,
} from '../support/server.ts';

const CHROMIUM = process.env.STINT_CHROMIUM ?? '/usr/bin/chromium';
const SHOTS =
  process.env.STINT_UPDATE_SCREENSHOTS === '1' ? join(repoRoot, 'docs', 'screenshots') : undefined;
// Bounds each wait so a hang fails; on a busy machine a wait ends as soon as the page gets there.
const WAIT = { timeout: 120_000 };

interface Watched {
  page: Page;
  errors: string[];
  /** Documents we load on purpose with an error status (`404 URL`); the browser logs each one. */
  expected: Set<string>;
}

async function open(context: BrowserContext): Promise<Watched> {
  // Actions and navigations get the same hang bound as the explicit waits (Playwright's default is 30 s).
  context.setDefaultTimeout(WAIT.timeout);
  const page = await context.newPage();
  const w: Watched = { page, errors: [], expected: new Set() };
  page.on('console', (m) => {
    if (m.type() !== 'error') return;
    const status = /status of (\d{3})/.exec(m.text())?.[1];
    if (status && w.expected.has(`${status} ${m.location().url}`)) return;
    w.errors.push(`${m.text()} (${m.location().url})`);
  });
  page.on('pageerror', (e) => w.errors.push(`page error: ${e.message}`));
  return w;
}

const text = async (l: Locator) => (await l.textContent()) ?? '';

async function signIn(page: Page, origin: string, key: string): Promise<void> {
  await page.goto(`${origin}/sign-in`);
  await page.getByLabel('API key').fill(key);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(`${origin}/sessions`);
}

async function shot(page: Page, name: string, fullPage = false): Promise<void> {
  if (!SHOTS) return;
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: join(SHOTS, name), fullPage, animations: 'disabled', caret: 'hide' });
}

const waitState = (server: StartedServer, id: string, states: string[]) =>
  waitUntil(async () => {
    const s = (await api(server, 'GET', `/sessions/${id}`)).body;
    return states.includes(s.state) ? s : undefined;
  });

/** A busier list for the screenshot: one session working, one paused. */
async function moreSessions(server: StartedServer): Promise<void> {
  const source = { source: 'sources/github/acme/widgets', githubRepoContext: { startingBranch: 'dev' } };
  const working = await api(server, 'POST', '/sessions', {
    prompt: scriptPrompt('Migrate CI to Node 24', {
      title: 'Migrate CI to Node 24',
      plan: ['Update the workflow'],
      steps: [{ progress: 'Updating the workflow' }, { sleep: 3_600_000 }],
    }),
    sourceContext: source,
  });
  await waitState(server, working.body.id, ['IN_PROGRESS']);
  const paused = await api(server, 'POST', '/sessions', {
    prompt: 'Document the public API of the parser module',
    sourceContext: source,
  });
  await api(server, 'POST', `/sessions/${paused.body.id}:pause`, {});
}

describe('web UI in a browser', () => {
  let server: StartedServer;
  let browser: Browser;
  let otherKey: string;
  let sessionUrl = '';
  const dirs: string[] = [];

  before(async () => {
    assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: run \`apt-get install -y chromium\` (Debian).`);
    const dataDir = makeTempDir();
    const bare = makeBareRepo();
    dirs.push(join(bare, '..'));
    addSource(dataDir, 'github/acme/widgets', bare);
    execFileSync(process.execPath, [cliEntry, 'tenants', 'create', 'other', '--data-dir', dataDir], {
      stdio: 'pipe',
    });
    otherKey = execFileSync(
      process.execPath,
      [cliEntry, 'keys', 'create', '--tenant', 'other', '--name', 'other tenant', '--data-dir', dataDir],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
    ).trim();
    // One session at a time, so a blocker can hold the new session in QUEUED while its page is open.
    server = await startServer({ dataDir, args: deploymentMode ? [] : ['--concurrency', '1'] });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
  });
  after(async () => {
    await browser?.close();
    await server?.cleanup();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  test('sign in, create a session, approve its plan live, answer, and review the diff', async () => {
    const context = await browser.newContext({
      viewport: { width: 1280, height: 900 },
      colorScheme: 'light',
    });
    const w = await open(context);
    const { page } = w;
    const origin = server.origin;

    await page.goto(`${origin}/sessions`);
    assert.match(page.url(), /\/sign-in\?next=%2Fsessions$/);
    w.expected.add(`401 ${origin}/sign-in`);
    await page.getByLabel('API key').fill('not-a-key');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('That API key is not valid').waitFor(WAIT);
    await page.getByLabel('API key').fill(server.apiKey);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${origin}/sessions`);
    await page.getByRole('heading', { name: 'Sessions' }).waitFor();

    // A blocker keeps the only worker busy (for an hour, however slow the machine, until it is
    // cancelled below), so the new session's plan is made while we watch.
    const blocker = await api(server, 'POST', '/sessions', {
      prompt: scriptPrompt('Hold the worker', {
        title: 'Hold the worker',
        plan: ['Wait'],
        steps: [{ sleep: 3_600_000 }],
      }),
    });
    assert.equal(blocker.status, 200);
    if (!deploymentMode) await waitState(server, blocker.body.id, ['IN_PROGRESS']);

    await page.getByRole('link', { name: 'New session' }).first().click();
    await page.getByLabel('Prompt').fill(
      scriptPrompt('Add a greeting file, then ask before adding a farewell.', {
        title: 'Add a greeting',
        plan: ['Write hello.txt', 'Show it', 'Ask about a farewell'],
        steps: [
          { sleep: 300 },
          { progress: 'Starting', description: 'warming up' },
          { write: { path: 'hello.txt', content: 'hello\n' } },
          { run: 'cat hello.txt' },
          { ask: 'Should I add a farewell too?' },
          { sleep: 300 },
          { write: { path: 'farewell.txt', content: 'goodbye\nsee you\n' } },
          { write: { path: 'src/app.txt', content: 'line 1\nline two\nline 3\n' } },
          { message: 'Done: `hello.txt` and `farewell.txt`.' },
        ],
      }),
    );
    await page.getByLabel('Repository').selectOption('sources/github/acme/widgets');
    assert.ok(await page.getByLabel('Require plan approval').isChecked());
    await page.getByRole('button', { name: 'Create session' }).click();
    await page.waitForURL(/\/sessions\/\d+$/);
    sessionUrl = page.url();
    const id = sessionUrl.split('/').pop()!;
    const wire = (await api(server, 'GET', `/sessions/${id}`)).body;
    assert.equal(wire.url, sessionUrl, 'the page lives at the url the API returns');
    assert.equal(wire.sourceContext.source, 'sources/github/acme/widgets');

    // The plan arrives without a reload.
    await page.evaluate(() => {
      (globalThis as any).__sameDocument = true;
    });
    if (!deploymentMode) assert.equal(await page.locator('.kind-planGenerated').count(), 0);
    await api(server, 'POST', `/sessions/${blocker.body.id}:cancel`, {});
    const plan = page.locator('.kind-planGenerated');
    await plan.waitFor(WAIT);
    assert.match(await text(plan), /Write hello\.txt[\s\S]*Ask about a farewell/);
    const approve = page.getByRole('button', { name: 'Approve plan' });
    await approve.waitFor(WAIT);
    assert.equal(await page.evaluate(() => (globalThis as any).__sameDocument), true);
    assert.equal(await text(page.locator('[data-live-indicator]')), 'Live');
    await shot(page, 'session-plan.png');

    await approve.click();
    await page.getByText('Plan approved.').waitFor(WAIT);
    const question = page.locator('.kind-agentMessaged', { hasText: 'Should I add a farewell too?' });
    await question.waitFor(WAIT);
    await page.getByRole('heading', { name: 'The agent is waiting for your reply' }).waitFor(WAIT);
    // Command output is folded until asked for.
    const output = page.locator('details.output', { hasText: 'cat hello.txt' });
    assert.equal(await output.locator('pre').isVisible(), false);
    await output.locator('summary').click();
    assert.match(await text(output.locator('pre')), /^hello/);
    await page.getByRole('textbox', { name: 'Your reply' }).fill('Yes, please add farewell.txt.');
    if (SHOTS) {
      await page.setViewportSize({ width: 1280, height: 1400 });
      await page.evaluate(() => (globalThis as any).scrollTo(0, 0));
      await shot(page, 'session-live.png');
      await page.setViewportSize({ width: 1280, height: 900 });
    }

    await page.getByRole('button', { name: 'Send' }).click();
    await page.locator('[data-region="status"] .badge', { hasText: 'Completed' }).waitFor(WAIT);
    await page.locator('.kind-sessionCompleted').waitFor(WAIT);
    const changes = page.locator('#changes');
    await changes.waitFor(WAIT);
    const index = await text(changes.locator('.file-index'));
    assert.match(index, /farewell\.txt\s*\+2\s*−0/);
    assert.match(index, /hello\.txt\s*\+1\s*−0/);
    assert.match(index, /src\/app\.txt\s*\+2\s*−1/);
    assert.match(await text(changes.locator('.diff-summary')), /3 files changed\s*\+5\s*−1/);
    assert.match(await text(changes.locator('#diff-0 table.diff')), /goodbye/);
    assert.equal(await page.getByRole('button', { name: 'Approve plan' }).count(), 0);
    await changes.evaluate((el) => el.scrollIntoView());
    await shot(page, 'session-diff.png');

    const patch = await context.request.get(`${sessionUrl}/patch`);
    assert.equal(patch.status(), 200);
    assert.match(await patch.text(), /^diff --git a\/farewell\.txt b\/farewell\.txt/);

    // The list: badges, filters, search, archive toggle.
    await api(server, 'POST', '/sessions', {
      prompt: scriptPrompt('Refactor the parser', { title: 'Refactor the parser', plan: ['Split it'] }),
      requirePlanApproval: true,
    });
    await page.goto(`${origin}/sessions`);
    const rows = page.locator('table.sessions tbody tr');
    await rows.first().waitFor();
    assert.equal(await rows.count(), 3);
    await page.getByLabel('State').selectOption('COMPLETED');
    await page.waitForURL(/state=COMPLETED/);
    assert.deepEqual(await page.locator('.session-title').allInnerTexts(), ['Add a greeting']);
    await page.getByLabel('State').selectOption('');
    await page.waitForURL(/\/sessions\??$/);
    await page.getByLabel('Search titles').fill('HOLD');
    await page.getByLabel('Search titles').press('Enter');
    await page.waitForURL(/q=HOLD/);
    assert.deepEqual(await page.locator('.session-title').allInnerTexts(), ['Hold the worker']);
    await waitState(server, (await api(server, 'GET', '/sessions')).body.sessions[0].id, [
      'AWAITING_PLAN_APPROVAL',
    ]);
    if (SHOTS) await moreSessions(server);
    await page.goto(`${origin}/sessions`);
    await shot(page, 'sessions-list.png');

    await page.goto(sessionUrl);
    await page.getByRole('button', { name: 'Archive' }).click();
    await page.getByText('Session archived.').waitFor();
    await page.goto(`${origin}/sessions`);
    assert.equal(await page.locator('.session-title', { hasText: 'Add a greeting' }).count(), 0);
    await page.getByLabel('Archived').check();
    await page.waitForURL(/archived=1/);
    assert.deepEqual(await page.locator('.session-title').allInnerTexts(), ['Add a greeting']);

    // Delete asks first.
    await page.goto(`${origin}/sessions/${blocker.body.id}`);
    await page.getByText('Delete…').click();
    await page.getByRole('button', { name: 'Yes, delete' }).click();
    await page.getByText('Session deleted.').waitFor();
    assert.equal((await api(server, 'GET', `/sessions/${blocker.body.id}`)).status, 404);

    const dark = await browser.newContext({ viewport: { width: 1280, height: 900 }, colorScheme: 'dark' });
    const d = await open(dark);
    await signIn(d.page, origin, server.apiKey);
    await d.page.goto(sessionUrl);
    await d.page.locator('#changes').evaluate((el) => el.scrollIntoView());
    await shot(d.page, 'session-dark.png');
    await dark.close();
    assert.deepEqual(d.errors, []);

    await context.close();
    assert.deepEqual(w.errors, []);
  });

  test("another tenant's key cannot open the session: a 404 page", async () => {
    assert.ok(sessionUrl, 'runs after the first test');
    const context = await browser.newContext();
    const w = await open(context);
    await signIn(w.page, server.origin, otherKey);
    assert.equal(await w.page.locator('table.sessions').count(), 0, 'the other tenant sees no sessions');
    w.expected.add(`404 ${sessionUrl}`);
    const res = await w.page.goto(sessionUrl);
    assert.equal(res?.status(), 404);
    await w.page.getByRole('heading', { name: 'Not found' }).waitFor();
    assert.doesNotMatch(await w.page.content(), /Add a greeting/);
    const id = sessionUrl.split('/').pop()!;
    const csrf = await w.page.locator('input[name="_csrf"]').first().inputValue();
    const events = await context.request.get(`${server.origin}/web/sessions/${id}/events`);
    assert.equal(events.status(), 404);
    const post = await context.request.post(`${sessionUrl}/unarchive`, {
      form: { _csrf: csrf },
      maxRedirects: 0,
    });
    assert.equal(post.status(), 404);
    assert.equal((await api(server, 'GET', `/sessions/${id}`)).body.archived, true);
    await context.close();
    assert.deepEqual(w.errors, []);
  });

  test('cookies, CSRF and origin checks guard every state change (plain HTTP)', async () => {
    const origin = server.origin;
    const cookieOf = (res: Response, name: string) =>
      res.headers
        .getSetCookie()
        .find((c) => c.startsWith(`${name}=`))
        ?.split(';')[0];
    const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();
    const post = (path: string, body: string, headers: Record<string, string> = {}) =>
      fetch(`${origin}${path}`, {
        method: 'POST',
        redirect: 'manual',
        headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
        body,
      });

    // Sign-in needs the nonce cookie of the form it came from.
    const formRes = await fetch(`${origin}/sign-in`);
    const nonce = cookieOf(formRes, 'stint_sign_in')!;
    const token = /name="_token" value="([^"]+)"/.exec(await formRes.text())![1]!;
    const signIn = { _token: token, apiKey: server.apiKey, next: '/sessions' };
    assert.equal((await post('/sign-in', form(signIn))).status, 403);
    assert.equal(
      (await post('/sign-in', form(signIn), { cookie: nonce, origin: 'http://evil.example' })).status,
      403,
    );
    const ok = await post('/sign-in', form(signIn), { cookie: nonce });
    assert.equal(ok.status, 303);
    const set = ok.headers.getSetCookie().find((c) => c.startsWith('stint_session='))!;
    assert.match(set, /; HttpOnly/);
    assert.match(set, /; SameSite=Lax/);
    assert.doesNotMatch(set, /Secure/);
    assert.ok(!set.includes(server.apiKey));
    const behindTls = await post('/sign-in', form(signIn), { cookie: nonce, 'x-forwarded-proto': 'https' });
    assert.match(behindTls.headers.getSetCookie().find((c) => c.startsWith('stint_session='))!, /; Secure/);
    const cookie = set.split(';')[0]!;

    const created = await api(server, 'POST', '/sessions', { prompt: 'guarded' });
    const id = created.body.id;
    const page = await fetch(`${origin}/sessions/${id}`, { headers: { cookie } });
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-security-policy')!, /script-src 'self'/);
    assert.equal(page.headers.get('x-frame-options'), 'DENY');
    const csrf = /name="_csrf" value="([^"]+)"/.exec(await page.text())![1]!;

    // Without the token, from another origin, or with a forged cookie: nothing changes.
    await post(`/sessions/${id}/archive`, form({}), { cookie });
    await post(`/sessions/${id}/archive`, form({ _csrf: csrf }), { cookie, origin: 'http://evil.example' });
    await post(`/sessions/${id}/archive`, form({ _csrf: csrf }), { cookie: `${cookie}x` });
    assert.equal((await api(server, 'GET', `/sessions/${id}`)).body.archived, false);
    const done = await post(`/sessions/${id}/archive`, form({ _csrf: csrf }), { cookie, origin });
    assert.equal(done.status, 303);
    assert.equal(done.headers.get('location'), `/sessions/${id}`);
    assert.equal((await api(server, 'GET', `/sessions/${id}`)).body.archived, true);

    // Signed out: pages redirect to sign-in, the live feed is 401.
    const anon = await fetch(`${origin}/sessions/${id}`, { redirect: 'manual' });
    assert.equal(anon.status, 303);
    assert.equal(anon.headers.get('location'), `/sign-in?next=${encodeURIComponent(`/sessions/${id}`)}`);
    assert.equal((await fetch(`${origin}/web/sessions/${id}/events`)).status, 401);

    // Signed in, the feed is an event stream that starts with the page's regions.
    const abort = new AbortController();
    const feed = await fetch(`${origin}/web/sessions/${id}/events?after=0`, {
      headers: { cookie },
      signal: AbortSignal.any([abort.signal, AbortSignal.timeout(120_000)]),
    });
    assert.equal(feed.status, 200);
    assert.match(feed.headers.get('content-type')!, /^text\/event-stream/);
    const reader = feed.body!.getReader();
    let text = '';
    for (let i = 0; i < 50 && !text.includes('event: session'); i++) {
      const { value, done: end } = await reader.read();
      if (end) break;
      text += Buffer.from(value).toString('utf8');
    }
    abort.abort();
    assert.match(text, /event: session\ndata: \{"state":/);
  });

  test('pages work without JavaScript', async () => {
    const context = await browser.newContext({ javaScriptEnabled: false });
    const w = await open(context);
    await signIn(w.page, server.origin, server.apiKey);
    await w.page.goto(sessionUrl);
    await w.page.locator('#changes').waitFor();
    await w.page.getByRole('button', { name: 'Unarchive' }).click();
    await w.page.getByText('Session restored from the archive.').waitFor();
    assert.equal((await api(server, 'GET', `/sessions/${sessionUrl.split('/').pop()}`)).body.archived, false);
    await context.close();
    assert.deepEqual(w.errors, []);
  });
});
