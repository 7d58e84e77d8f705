// End-to-end compatibility tests: the official @google/jules-sdk against a real `stint serve`, run
// once per SDK release clients use (jules-sdk.test.ts: 0.2.0; jules-sdk-004.test.ts: 0.0.4).
// Everything goes through the SDK, except plain git (to check patches) and one raw
// GET /activities listing used as the reference the SDK's streams are compared with.
// The server has GitHub sources (one served by a fake GitHub on 127.0.0.1, one a plain repository
// under a github/ id) and a plain git source of another host.
// SDK behaviour these tests rely on is documented in docs/architecture/jules-sdk-notes.md.
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import type * as Sdk from '@google/jules-sdk';
import type {
  Activity,
  ChangeSet,
  JulesClient,
  Outcome,
  SessionClient,
  SessionState,
} from '@google/jules-sdk';
import { type FakeGitHub, startFakeGitHub } from '../support/fake-github.ts';
import { api, cliEntry, makeTempDir, type StartedServer, startServer } from '../support/server.ts';

const SOURCE_NAME = 'sources/github/acme/widgets';
/** Served by the GitHub provider (a fake GitHub on 127.0.0.1). */
const HUB_NAME = 'sources/github/acme/hub';
/** A plain git source of another host: listed, but not addressable through the SDK's github filter. */
const PLAIN_NAME = 'sources/gitlab/team/plainrepo';
const GH_TOKEN = 'ghp_sdk_suite_token_1234';
const POLL_MS = 100;
/**
 * Bounds a wait so a hang fails; on a busy machine each wait ends as soon as its session gets there.
 * A test's limit is the waits it makes (at most four) times that bound.
 */
const HANG_MS = 120_000;
const TEST_TIMEOUT = 5 * HANG_MS;
const GIT_IDENTITY = [
  '-c',
  'user.name=Stint Test',
  '-c',
  'user.email=stint-test@example.invalid',
  '-c',
  'commit.gpgsign=false',
  '-c',
  'init.defaultBranch=main',
];

interface ScriptStep {
  message?: string;
  progress?: string;
  description?: string;
  write?: { path: string; content: string };
  run?: string;
  ask?: string;
  reply?: string;
  sleep?: number;
  fail?: string;
}
interface Script {
  title?: string;
  plan: string[];
  steps: ScriptStep[];
  onMessage?: ScriptStep[] | ScriptStep;
}

/** A prompt carrying a stint-script block for the deterministic scripted agent. */
function scriptPrompt(text: string, script: Script): string {
  return `${text}\n\n\`\`\`stint-script\n${JSON.stringify(script)}\n\`\`\`\n`;
}

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', [...GIT_IDENTITY, ...args], {
    cwd,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

// The SDK's d.ts for SessionClient omits the options that the implementation
// (SessionClientImpl.waitFor/result) accepts; a bounded wait stops the SDK's own polling.
interface TimedSession {
  waitFor(state: SessionState, options: { timeoutMs: number }): Promise<void>;
  result(options: { timeoutMs: number }): Promise<Outcome>;
}
function timed(session: SessionClient): TimedSession {
  return session as unknown as TimedSession;
}

function delay(ms: number): { promise: Promise<'timeout'>; cancel(): void } {
  let timer: NodeJS.Timeout | undefined;
  const promise = new Promise<'timeout'>((res) => {
    timer = setTimeout(() => res('timeout'), ms);
  });
  return { promise, cancel: () => clearTimeout(timer) };
}

/** Rejects if `p` does not settle in time (the SDK call itself keeps polling until the server goes away). */
async function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  const d = delay(ms);
  p.catch(() => {});
  try {
    const r = await Promise.race([p, d.promise]);
    if (r === 'timeout') throw new Error(`${what} did not finish within ${ms}ms`);
    return r as T;
  } finally {
    d.cancel();
  }
}

function isTerminalActivity(a: Activity): boolean {
  return a.type === 'sessionCompleted' || a.type === 'sessionFailed';
}

/**
 * Consumes an SDK activity stream (which never ends by itself) until `until` matches,
 * then keeps listening for `graceMs` to catch anything yielded again (duplicates).
 */
async function collectStream(
  iterable: AsyncIterable<Activity>,
  opts: { until: (a: Activity) => boolean; timeoutMs: number; graceMs: number },
): Promise<Activity[]> {
  const it = iterable[Symbol.asyncIterator]();
  const out: Activity[] = [];
  const deadline = Date.now() + opts.timeoutMs;
  let stopAt: number | undefined;
  let pendingNext = false;
  for (;;) {
    const remaining = (stopAt ?? deadline) - Date.now();
    if (remaining <= 0) break;
    const next = it.next();
    next.catch(() => {});
    const d = delay(remaining);
    const r = await Promise.race([next, d.promise]);
    d.cancel();
    if (r === 'timeout') {
      pendingNext = true; // abandoned; it fails once the server is gone
      break;
    }
    if (r.done) break;
    out.push(r.value);
    if (stopAt === undefined && opts.until(r.value)) stopAt = Date.now() + opts.graceMs;
  }
  if (!pendingNext) void it.return?.(undefined)?.catch(() => {});
  if (stopAt === undefined) {
    throw new Error(
      `stream did not reach its end within ${opts.timeoutMs}ms; got: ${out.map((a) => a.type).join(', ')}`,
    );
  }
  return out;
}

async function toArray<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of iterable) out.push(x);
  return out;
}

/** An activity as served on the wire (only the fields these tests read). */
interface RawActivity {
  name: string;
  id: string;
  createTime: string;
  originator: string;
}

/** 0.2.0 flattens `{displayName}` to a string; 0.0.4 passes the server's object through. */
function branchName(b: unknown): string {
  return typeof b === 'string' ? b : (b as { displayName: string }).displayName;
}

const TS_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;

/** One SDK release under test, and where it differs from 0.2.0. */
export interface SdkUnderTest {
  label: string;
  /** The SDK module (0.0.4 is typed as 0.2.0's; the flags below say where it behaves otherwise). */
  sdk: typeof Sdk;
  /** The SDK's spelling of a state in info() and waitFor(): 0.2.0 camelCase, 0.0.4 the enum name. */
  state(camel: SessionState): string;
  assertKnownState(state: string, what: string): void;
  /** 0.2.0's result() rejects on FAILED; 0.0.4's resolves (it compares 'failed' with 'FAILED'). */
  failedResultRejects: boolean;
  /** 0.2.0's session(config) sends AUTO_CREATE_PR unless autoPr is false; 0.0.4's never does. */
  sessionAutoPr: boolean;
  /** 0.2.0's sources() takes { filter, pageSize }; 0.0.4's takes nothing. */
  sourcesOptions: boolean;
  /** Start the server with --bash-output and check this SDK reads a command's output from it. */
  bashOutput?: (artifact: unknown) => string;
}

export function sdkSuite(t: SdkUnderTest): void {
  describe(`official ${t.label} against stint serve`, () => {
    const S = t.sdk;
    /** Bounded waits: 0.2.0 takes { timeoutMs }, 0.0.4 polls until the state comes (or the server goes). */
    const waitFor = (session: SessionClient, state: SessionState, ms: number) =>
      within(
        timed(session).waitFor(t.state(state) as SessionState, { timeoutMs: ms }),
        ms + 5_000,
        `waitFor(${state})`,
      );
    const result = (session: SessionClient, ms: number) =>
      within(timed(session).result({ timeoutMs: ms }), ms + 5_000, 'result()');
    let server: StartedServer;
    let root: string;
    let bare: string;
    let mainHead: string;
    let jules: JulesClient;
    let gh: FakeGitHub | undefined;
    let hubBare: string;
    const savedJulesHome = process.env.JULES_HOME;

    function client(opts: { memory?: boolean; apiKey?: string } = {}): JulesClient {
      return S.connect({
        apiKey: opts.apiKey ?? server.apiKey,
        baseUrl: server.baseUrl,
        ...(opts.memory
          ? {
              storageFactory: {
                activity: () => new S.MemoryStorage(),
                session: () => new S.MemorySessionStorage(),
              },
            }
          : {}),
        config: {
          pollingIntervalMs: POLL_MS,
          requestTimeoutMs: 60_000, // bounds a hang; one request can take a while on a busy machine
          // Fail fast instead of retrying 5xx/429 for 5 minutes.
          rateLimitRetry: { maxRetryTimeMs: 3_000, baseDelayMs: 100, maxDelayMs: 500 },
        },
      });
    }

    /** Reference listing straight from the API (all pages, oldest first). */
    /**
     * The SDK's history() once it holds every activity the server has. The SDK's file cache
     * appends through a write stream it does not wait for, and history() reads that file back: on
     * a busy machine the newest activities can be missing for a moment (seen in CI: no
     * planGenerated right after the session reached AWAITING_PLAN_APPROVAL).
     */
    async function historyOf(session: SessionClient): Promise<Activity[]> {
      const want = (await rawActivities(session.id)).length;
      for (let i = 0; ; i++) {
        const history: Activity[] = await toArray(session.history());
        if (history.length >= want || i >= 50) return history;
        await new Promise((r) => setTimeout(r, 100));
      }
    }

    async function rawActivities(sessionId: string): Promise<RawActivity[]> {
      const all: RawActivity[] = [];
      let token: string | undefined;
      do {
        const q = `pageSize=100${token ? `&pageToken=${encodeURIComponent(token)}` : ''}`;
        const res = await api(server, 'GET', `/sessions/${sessionId}/activities?${q}`);
        assert.equal(res.status, 200, `GET activities: ${JSON.stringify(res.body)}`);
        all.push(...(res.body.activities ?? []));
        token = res.body.nextPageToken;
      } while (token);
      return all;
    }

    function lastSegment(name: string): string {
      return name.split('/').pop()!;
    }

    function assertSameAsServer(streamed: Activity[], raw: RawActivity[]): void {
      const streamedIds = streamed.map((a) => a.id);
      assert.equal(new Set(streamedIds).size, streamedIds.length, `duplicates in stream: ${streamedIds}`);
      assert.deepEqual(
        streamedIds,
        raw.map((r) => lastSegment(r.name)),
        'stream must yield every activity exactly once, in server order',
      );
    }

    function checkoutBase(baseCommitId: string): string {
      const dir = join(root, `clone-${Math.random().toString(36).slice(2)}`);
      git(root, 'clone', '--quiet', bare, dir);
      git(dir, 'checkout', '--quiet', '--detach', baseCommitId);
      return dir;
    }

    before(async () => {
      root = makeTempDir('stint-sdk-');
      // The SDK caches sessions/activities on disk under $JULES_HOME/.jules/cache
      // (else under cwd when it has a package.json); keep that out of the repo.
      const julesHome = join(root, 'jules-home');
      mkdirSync(julesHome);
      process.env.JULES_HOME = julesHome;

      // A source repository: bare repo with one commit on main.
      bare = join(root, 'widgets.git');
      git(root, 'init', '--quiet', '--bare', bare);
      const seed = join(root, 'seed');
      git(root, 'init', '--quiet', seed);
      writeFileSync(join(seed, 'README.md'), 'widgets\n');
      mkdirSync(join(seed, 'src'));
      writeFileSync(join(seed, 'src', 'index.ts'), 'export const widgets = [];\n');
      git(seed, 'add', '-A');
      git(seed, 'commit', '--quiet', '-m', 'initial');
      git(seed, 'push', '--quiet', bare, 'HEAD:refs/heads/main');
      git(bare, 'symbolic-ref', 'HEAD', 'refs/heads/main');
      mainHead = git(bare, 'rev-parse', 'refs/heads/main').trim();

      // A second source (a copy of the same history) so that source filters are meaningful.
      const gadgets = join(root, 'gadgets.git');
      git(root, 'clone', '--quiet', '--bare', bare, gadgets);

      const dataDir = join(root, 'data');
      mkdirSync(dataDir);
      for (const [id, url] of [
        ['github/acme/widgets', bare],
        ['github/acme/gadgets', gadgets],
      ] as const) {
        execFileSync(
          process.execPath,
          [
            cliEntry,
            'sources',
            'add',
            id,
            '--git-url',
            url,
            '--default-branch',
            'main',
            '--data-dir',
            dataDir,
          ],
          { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' },
        );
      }
      // The plain repository of another host, and one behind the GitHub provider.
      execFileSync(
        process.execPath,
        [cliEntry, 'sources', 'add', 'gitlab/team/plainrepo', '--git-url', gadgets, '--data-dir', dataDir],
        { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' },
      );
      hubBare = join(root, 'hub.git');
      git(root, 'clone', '--quiet', '--bare', bare, hubBare);
      gh = await startFakeGitHub([{ owner: 'acme', repo: 'hub', path: hubBare }], { tokens: [GH_TOKEN] });
      // Asynchronously: the CLI asks the fake GitHub, which answers from this process.
      await promisify(execFile)(
        process.execPath,
        [
          cliEntry,
          'sources',
          'add',
          'github/acme/hub',
          '--github-token-env',
          'SDK_GH_TOKEN',
          '--github-api-url',
          gh.url,
          '--data-dir',
          dataDir,
        ],
        { env: { ...process.env, SDK_GH_TOKEN: GH_TOKEN } },
      );
      server = await startServer({
        dataDir,
        // A server start takes ~15 s or more on a shared, loaded machine (20 s default).
        timeoutMs: 120_000,
        // Checkouts stay after completion, so that a follow-up test can add to one.
        env: { SDK_GH_TOKEN: GH_TOKEN, STINT_WORKSPACE_RETENTION: '1h' },
        ...(t.bashOutput ? { args: ['--bash-output'] } : {}),
      });
      jules = client();
    });

    after(async () => {
      await server?.cleanup();
      await gh?.close();
      if (savedJulesHome === undefined) delete process.env.JULES_HOME;
      else process.env.JULES_HOME = savedJulesHome;
      if (root) rmSync(root, { recursive: true, force: true });
    });

    test('sources(): lists registered sources, get() resolves and 404s, filter narrows', {
      timeout: HANG_MS,
    }, async () => {
      const all = await toArray(jules.sources());
      const names = all.map((s) => s.name).sort();
      // One source without githubRepo would make the SDK throw for the whole list.
      assert.deepEqual(names, ['sources/github/acme/gadgets', HUB_NAME, SOURCE_NAME, PLAIN_NAME]);
      const plain = all.find((s) => s.name === PLAIN_NAME)!;
      assert.equal(plain.type, 'githubRepo');
      assert.equal(plain.githubRepo.owner, 'team');
      assert.equal(plain.githubRepo.repo, 'plainrepo');
      const hub = await jules.sources.get({ github: 'acme/hub' });
      assert.ok(hub);
      assert.equal(hub.name, HUB_NAME);
      assert.equal(hub.githubRepo.repo, 'hub');
      const widgets = all.find((s) => s.name === SOURCE_NAME)!;
      assert.equal(widgets.id, 'github/acme/widgets');
      assert.equal(widgets.type, 'githubRepo');
      assert.equal(widgets.githubRepo.owner, 'acme');
      assert.equal(widgets.githubRepo.repo, 'widgets');
      assert.equal(typeof widgets.githubRepo.isPrivate, 'boolean');
      assert.equal(branchName(widgets.githubRepo.defaultBranch), 'main');
      const branches = (widgets.githubRepo.branches ?? []).map(branchName);
      assert.ok(branches.includes('main'), `branches: ${branches}`);

      const got = await jules.sources.get({ github: 'acme/widgets' });
      assert.ok(got);
      assert.equal(got.name, SOURCE_NAME);
      assert.equal(branchName(got.githubRepo.defaultBranch), 'main');
      assert.equal(await jules.sources.get({ github: 'acme/no-such-repo' }), undefined);

      if (!t.sourcesOptions) {
        await assert.rejects(toArray(client({ apiKey: 'wrong-key' }).sources()), S.JulesAuthenticationError);
        return;
      }
      // The filter form shown in the SDK's own docs (quoted) and the contract's (unquoted), and OR.
      assert.deepEqual(
        (await toArray(jules.sources({ filter: `name="${SOURCE_NAME}" OR name="${PLAIN_NAME}"` })))
          .map((s) => s.name)
          .sort(),
        [SOURCE_NAME, PLAIN_NAME],
      );
      for (const filter of [`name="${SOURCE_NAME}"`, `name=${SOURCE_NAME}`]) {
        const filtered = await toArray(jules.sources({ filter }));
        assert.deepEqual(
          filtered.map((s) => s.name),
          [SOURCE_NAME],
          `filter ${filter}`,
        );
      }
      // pageSize 1 forces pagination through nextPageToken.
      const paged = await toArray(jules.sources({ pageSize: 1 }));
      assert.deepEqual(paged.map((s) => s.name).sort(), names);

      await assert.rejects(toArray(client({ apiKey: 'wrong-key' }).sources()), S.JulesAuthenticationError);
      await assert.rejects(
        jules.session({ prompt: 'x', source: { github: 'acme/no-such-repo', baseBranch: 'main' } }),
        S.SourceNotFoundError,
      );
    });

    test('run(): repoless, no approval, AUTO_CREATE_PR default; run.stream() and result().generatedFiles()', {
      timeout: TEST_TIMEOUT,
    }, async () => {
      const run = await jules.run({
        prompt: scriptPrompt('Write the answer file.', {
          plan: ['Write answer.md'],
          steps: [
            { progress: 'Writing the answer' },
            { write: { path: 'answer.md', content: '# Answer\n\n42\n' } },
            { message: 'Answer written.' },
          ],
        }),
      });
      assert.ok(run.id);
      const streamed = await collectStream(run.stream(), {
        until: isTerminalActivity,
        timeoutMs: HANG_MS,
        graceMs: 1_000,
      });
      const raw = await rawActivities(run.id);
      assertSameAsServer(streamed, raw);
      const types = streamed.map((a) => a.type);
      assert.equal(types[0], 'planGenerated');
      assert.ok(types.includes('planApproved'), `auto-approval must be recorded: ${types}`);
      assert.equal(types.at(-1), 'sessionCompleted');

      const outcome = await within(run.result(), HANG_MS, 'run.result()');
      assert.equal(outcome.state, 'completed');
      assert.equal(outcome.sessionId, run.id);
      assert.equal(outcome.pullRequest, undefined, 'no pull request without a repository');
      const answer = outcome.generatedFiles().get('answer.md');
      assert.ok(answer, `generatedFiles: ${JSON.stringify(outcome.generatedFiles().all())}`);
      assert.equal(answer.changeType, 'created');
      assert.equal(answer.content, '# Answer\n\n42');

      const info = await jules.session(run.id).info();
      assert.equal(info.state, t.state('completed'));
      assert.equal(info.requirePlanApproval, false);
      assert.equal(info.automationMode, 'AUTO_CREATE_PR');
      assert.ok(info.title, 'a title is generated from the prompt');
    });

    test('session(): repoless with plan approval (the SDK default) waits, approves, completes', {
      timeout: TEST_TIMEOUT,
    }, async () => {
      const session = await jules.session({
        prompt: scriptPrompt('Say hello.', { plan: ['Greet'], steps: [{ message: 'Hello!' }] }),
      });
      await waitFor(session, 'awaitingPlanApproval', HANG_MS);
      const waiting = await session.info();
      assert.equal(waiting.state, t.state('awaitingPlanApproval'));
      assert.equal(waiting.requirePlanApproval, true);
      assert.equal(
        waiting.automationMode,
        t.sessionAutoPr ? 'AUTO_CREATE_PR' : 'AUTOMATION_MODE_UNSPECIFIED',
      );
      assert.equal(waiting.sourceContext?.source, undefined);

      await session.approve();
      const outcome = await result(session, HANG_MS);
      assert.equal(outcome.state, 'completed');
      const history = await historyOf(session);
      const types = history.map((a) => a.type);
      assert.deepEqual(types.slice(0, 2), ['planGenerated', 'planApproved']);
      assert.equal(types.at(-1), 'sessionCompleted');
      assert.ok(history.some((a) => a.type === 'agentMessaged' && a.message === 'Hello!'));
    });

    test('session(): source + approval; waitFor, approve, ask answered by a scripted ask step, changeSet applies', {
      timeout: TEST_TIMEOUT,
    }, async () => {
      const question = 'Tabs or spaces?';
      const answerText = 'Two spaces, please.';
      const readme = 'widgets\n\nNow with more widgets.\n';
      const util = 'export const answer = 42;\n';
      const plan = ['Update README', 'Add util module', 'Confirm style'];
      const session = await jules.session({
        prompt: scriptPrompt('Improve the widgets repo.', {
          plan,
          steps: [
            { progress: 'Editing README' },
            { write: { path: 'README.md', content: readme } },
            { write: { path: 'src/util.ts', content: util } },
            { ask: question },
            { message: 'Continuing after feedback.' },
          ],
        }),
        title: 'Widget docs',
        source: { github: 'acme/widgets', baseBranch: 'main' },
        autoPr: false,
      });

      await waitFor(session, 'awaitingPlanApproval', HANG_MS);
      const waiting = await session.info();
      assert.equal(waiting.state, t.state('awaitingPlanApproval'));
      assert.equal(waiting.name, `sessions/${session.id}`);
      assert.equal(waiting.id, session.id);
      assert.equal(waiting.title, 'Widget docs');
      assert.equal(waiting.requirePlanApproval, true);
      assert.equal(waiting.automationMode, 'AUTOMATION_MODE_UNSPECIFIED');
      assert.equal(waiting.sourceContext.source, SOURCE_NAME);
      assert.equal(waiting.sourceContext.githubRepoContext?.startingBranch, 'main');

      const beforeApproval = await historyOf(session);
      const planActivity = beforeApproval.find((a) => a.type === 'planGenerated');
      assert.ok(planActivity && planActivity.type === 'planGenerated');
      assert.deepEqual(
        planActivity.plan.steps.map((s) => s.title),
        plan,
      );
      assert.deepEqual(
        planActivity.plan.steps.map((s) => s.index),
        [0, 1, 2],
      );
      assert.ok(planActivity.plan.id);
      assert.ok(!beforeApproval.some((a) => a.type === 'planApproved'), 'no planApproved before approve()');

      await session.approve();
      await waitFor(session, 'awaitingUserFeedback', HANG_MS);
      assert.equal((await session.info()).state, t.state('awaitingUserFeedback'));

      const askedAt = Date.now();
      const reply = await within(session.ask(answerText), HANG_MS, 'ask()');
      assert.equal(reply.type, 'agentMessaged');
      assert.equal(reply.originator, 'agent');
      assert.ok(Date.parse(reply.createTime) > askedAt, 'reply is stamped after the question was sent');
      assert.equal(reply.message, 'Continuing after feedback.', 'the reply is the next scripted step');

      const outcome = await result(session, HANG_MS);
      assert.equal(outcome.state, 'completed');
      assert.equal(outcome.title, 'Widget docs');

      const history = await historyOf(session);
      assertSameAsServer(history, await rawActivities(session.id));
      const approved = history.find((a) => a.type === 'planApproved');
      assert.ok(approved && approved.type === 'planApproved');
      assert.equal(approved.planId, planActivity.plan.id);
      const qIdx = history.findIndex((a) => a.type === 'agentMessaged' && a.message === question);
      const uIdx = history.findIndex((a) => a.type === 'userMessaged');
      const rIdx = history.findIndex((a) => a.id === reply.id);
      assert.ok(
        qIdx >= 0 && qIdx < uIdx && uIdx < rIdx,
        `order question(${qIdx}) < user(${uIdx}) < reply(${rIdx})`,
      );
      const userMsg = history[uIdx]!;
      assert.ok(userMsg.type === 'userMessaged');
      assert.equal(userMsg.message, answerText);
      assert.equal(userMsg.originator, 'user');
      assert.equal(history.at(-1)?.type, 'sessionCompleted');

      // Outputs: the changeSet is read from the session's outputs.
      // 0.2.0 tags outputs with a type; 0.0.4 passes them as the server sent them.
      const csOutput = outcome.outputs.find((o) => 'changeSet' in o) as { changeSet: ChangeSet } | undefined;
      assert.ok(csOutput, `outputs: ${JSON.stringify(outcome.outputs)}`);
      assert.equal(csOutput.changeSet.source, SOURCE_NAME);
      const gitPatch = csOutput.changeSet.gitPatch;
      assert.equal(gitPatch.baseCommitId, mainHead);
      assert.equal(typeof gitPatch.suggestedCommitMessage, 'string');
      assert.ok(gitPatch.suggestedCommitMessage.length > 0);

      const cs = outcome.changeSet();
      assert.ok(cs);
      const parsed = cs.parsed();
      assert.deepEqual(parsed.files.map((f) => [f.path, f.changeType]).sort(), [
        ['README.md', 'modified'],
        ['src/util.ts', 'created'],
      ]);
      assert.deepEqual(parsed.summary, { totalFiles: 2, created: 1, modified: 1, deleted: 0 });
      assert.equal(outcome.generatedFiles().get('src/util.ts')?.content, 'export const answer = 42;');

      // Every file section starts with a standard `diff --git a/P b/P` header.
      const patch = gitPatch.unidiffPatch;
      assert.ok(patch.startsWith('diff --git '), 'patch starts with a diff --git header');
      for (const section of patch.split(/^diff --git /m).filter(Boolean)) {
        assert.match(section, /^a\/(\S+) b\/\1\n/, `section header: ${section.split('\n')[0]}`);
      }

      // The patch applies with plain git on baseCommitId and reproduces the agent's files.
      const clone = checkoutBase(gitPatch.baseCommitId);
      const patchFile = join(root, `${session.id}.patch`);
      writeFileSync(patchFile, patch);
      git(clone, 'apply', '--check', patchFile);
      git(clone, 'apply', patchFile);
      assert.equal(readFileSync(join(clone, 'README.md'), 'utf8'), readme);
      assert.equal(readFileSync(join(clone, 'src', 'util.ts'), 'utf8'), util);
      assert.equal(readFileSync(join(clone, 'src', 'index.ts'), 'utf8'), 'export const widgets = [];\n');
    });

    test('ask() on a finished session returns the reply that the script onMessage gives, every time', {
      timeout: TEST_TIMEOUT,
    }, async () => {
      const session = await jules.session({
        prompt: scriptPrompt('Chat.', {
          plan: ['Chat'],
          steps: [{ message: 'Ready.' }],
          onMessage: [{ progress: 'Thinking' }, { reply: 'You asked: {{message}}' }],
        }),
        requireApproval: false,
      });
      assert.equal((await result(session, 30_000)).state, 'completed');
      for (const question of ['What is 6 x 7?', 'And 7 x 6?']) {
        const reply = await within(session.ask(question), 20_000, 'ask()');
        assert.equal(reply.type, 'agentMessaged');
        assert.equal(reply.message, `You asked: ${question}`);
        await waitFor(session, 'completed', 20_000);
      }
      const history = await historyOf(session);
      const said = history.flatMap((a) => (a.type === 'agentMessaged' ? [a.message] : []));
      assert.deepEqual(said, ['Ready.', 'You asked: What is 6 x 7?', 'You asked: And 7 x 6?']);
    });

    test('session(): source, no approval; live stream() yields every activity exactly once, in order', {
      timeout: TEST_TIMEOUT,
    }, async () => {
      // More than 50 activities, so that the SDK's unpaged polls (server default page size 50)
      // must follow nextPageToken; sleeps make the live stream interleave with the agent.
      const chatter: ScriptStep[] = [];
      for (let i = 0; i < 56; i++) {
        chatter.push({ message: `chatter ${i}` });
        if (i % 14 === 13) chatter.push({ sleep: 250 });
      }
      const session = await jules.session({
        prompt: scriptPrompt('Chatty session.', {
          plan: ['Chatter', 'Write notes'],
          steps: [
            { message: 'starting' },
            { run: 'echo hello-from-run' },
            { sleep: 300 },
            ...chatter,
            { write: { path: 'docs/notes.md', content: 'notes\n' } },
            { progress: 'Wrote notes', description: 'docs/notes.md' },
            { sleep: 200 },
            { message: 'bye' },
          ],
        }),
        source: { github: 'acme/widgets', baseBranch: 'main' },
        requireApproval: false,
      });

      const streamed = await collectStream(session.stream(), {
        until: isTerminalActivity,
        timeoutMs: HANG_MS,
        graceMs: 1_500,
      });
      const raw = await rawActivities(session.id);
      assertSameAsServer(streamed, raw);
      assert.ok(raw.length > 50, `expected > 50 activities, got ${raw.length}`);

      // Wire-level shape the SDK depends on.
      let prev = 0;
      for (const r of raw) {
        assert.match(r.createTime, TS_RE, `createTime format ${r.createTime}`);
        const ms = Date.parse(r.createTime);
        assert.ok(ms > prev, `activity createTimes must increase by at least 1 ms (${r.createTime})`);
        prev = ms;
        assert.equal(r.name, `sessions/${session.id}/activities/${r.id}`);
        assert.ok(['user', 'agent', 'system'].includes(r.originator), `originator ${r.originator}`);
      }

      const types = streamed.map((a) => a.type);
      assert.equal(types[0], 'planGenerated');
      assert.equal(types[1], 'planApproved', 'auto-approval is recorded as planApproved');
      assert.equal(types.at(-1), 'sessionCompleted');
      const runAct = streamed.find(
        (a) => a.type === 'progressUpdated' && (a.description ?? '').includes('hello-from-run'),
      );
      assert.ok(runAct, 'run step output is in a progressUpdated description');
      if (t.bashOutput) {
        // With --bash-output the command's output is an artifact too, in the shape this SDK reads.
        assert.equal(runAct.artifacts.length, 1);
        assert.match(t.bashOutput(runAct.artifacts[0]), /hello-from-run/);
      } else {
        assert.deepEqual(runAct.artifacts, [], 'no bashOutput unless the server is told to');
      }
      const msgs = streamed.flatMap((a) => (a.type === 'agentMessaged' ? [a.message] : []));
      const chatterMsgs = msgs.filter((m) => m.startsWith('chatter '));
      assert.deepEqual(
        chatterMsgs,
        Array.from({ length: 56 }, (_, i) => `chatter ${i}`),
      );

      // A second stream on the same client resumes from its cache (filter=create_time>"…")
      // and must still yield everything exactly once.
      const again = await collectStream(session.stream(), {
        until: isTerminalActivity,
        timeoutMs: HANG_MS,
        graceMs: 1_000,
      });
      assertSameAsServer(again, raw);
      // stream() with the exclude option drops user activities only.
      const noUser = await collectStream(session.stream({ exclude: { originator: 'user' } }), {
        until: isTerminalActivity,
        timeoutMs: HANG_MS,
        graceMs: 500,
      });
      assert.deepEqual(
        noUser.map((a) => a.id),
        raw.filter((r) => r.originator !== 'user').map((r) => r.id),
      );

      const outcome = await result(session, HANG_MS);
      assert.equal(outcome.state, 'completed');
      const notes = outcome.generatedFiles().get('docs/notes.md');
      assert.ok(notes, `outputs: ${JSON.stringify(outcome.outputs)}`);
      assert.equal(notes.changeType, 'created');

      // approve() outside AWAITING_PLAN_APPROVAL is a client error (400), not a retried 5xx.
      await assert.rejects(session.approve(), (e: unknown) => {
        assert.ok(e instanceof S.JulesApiError, String(e));
        assert.equal(e.status, 400);
        return true;
      });
    });

    test('session(): default autoPr (AUTO_CREATE_PR) on a plain git source pushes a branch and claims no pull request', {
      timeout: TEST_TIMEOUT,
    }, async () => {
      const config = {
        prompt: scriptPrompt('Add a changelog.', {
          plan: ['Write CHANGELOG.md'],
          steps: [{ write: { path: 'CHANGELOG.md', content: '# Changelog\n' } }],
        }),
        title: 'Changelog',
        source: { github: 'acme/widgets', baseBranch: 'main' },
        requireApproval: false,
      };
      // 0.0.4's session(config) never asks for a pull request; its run() does.
      const outcome = t.sessionAutoPr
        ? await result(await jules.session(config), HANG_MS)
        : await within((await jules.run(config)).result(), HANG_MS, 'run.result()');
      assert.equal(outcome.state, 'completed');
      // Plain git has no reviews: no pullRequest output pretends one exists.
      assert.equal(outcome.pullRequest, undefined, `outputs: ${JSON.stringify(outcome.outputs)}`);
      // The SDK reads the change set as usual (Stint's `branch` member beside it does not disturb it)...
      assert.equal(outcome.generatedFiles().get('CHANGELOG.md')?.changeType, 'created');
      // ...and the raw output names the pushed branch and its commit.
      const id = (outcome as { sessionId?: string }).sessionId;
      assert.ok(id, 'the outcome names its session');
      const raw = (await api(server, 'GET', `/sessions/${id}`)).body;
      const branch = raw.outputs[0].branch;
      assert.equal(branch.name, `stint/${id}`);
      const pushed = git(bare, 'rev-parse', '--verify', `refs/heads/${branch.name}`).trim();
      assert.equal(branch.commitId, pushed);
      assert.equal(git(bare, 'show', `${pushed}:CHANGELOG.md`), '# Changelog\n');
    });

    test('a failing script: stream ends with sessionFailed(reason), result() rejects', {
      timeout: TEST_TIMEOUT,
    }, async () => {
      const session = await jules.session({
        prompt: scriptPrompt('Fail on purpose.', {
          plan: ['Fail'],
          steps: [{ message: 'about to fail' }, { fail: 'scripted failure' }],
        }),
        requireApproval: false,
      });
      const streamed = await collectStream(session.stream(), {
        until: isTerminalActivity,
        timeoutMs: HANG_MS,
        graceMs: 1_000,
      });
      assertSameAsServer(streamed, await rawActivities(session.id));
      const last = streamed.at(-1)!;
      assert.equal(last.type, 'sessionFailed');
      assert.ok(
        last.type === 'sessionFailed' && last.reason.includes('scripted failure'),
        `reason: ${JSON.stringify(last)}`,
      );
      if (t.failedResultRejects) {
        await assert.rejects(result(session, HANG_MS), S.AutomatedSessionFailedError);
      } else {
        // 0.0.4 compares the state with 'failed' in lower case: result() resolves on FAILED.
        assert.equal((await result(session, HANG_MS)).sessionId, session.id);
      }
      // A FAILED session takes no more messages: a client error (400), not a retried 5xx.
      await assert.rejects(session.send('try again'), (e: unknown) => {
        assert.ok(e instanceof S.JulesApiError, String(e));
        assert.equal(e.status, 400);
        return true;
      });
      // waitFor() also returns on a terminal state other than the one requested.
      await waitFor(session, 'awaitingUserFeedback', HANG_MS);
    });

    test('rehydrating a session by id in a fresh client (empty cache)', {
      timeout: TEST_TIMEOUT,
    }, async () => {
      const content = 'export const rehydrated = true;\n';
      const created = await jules.session({
        prompt: scriptPrompt('Add a module.', {
          plan: ['Add module'],
          steps: [{ write: { path: 'src/rehydrated.ts', content } }, { message: 'done' }],
        }),
        title: 'Rehydrate me',
        source: { github: 'acme/widgets', baseBranch: 'main' },
        requireApproval: false,
        autoPr: false,
      });
      const original = await result(created, HANG_MS);
      assert.equal(original.state, 'completed');

      const fresh = client({ memory: true });
      const byId = fresh.session(created.id);
      assert.equal(byId.id, created.id);
      assert.equal(
        fresh.session(`sessions/${created.id}`).id,
        created.id,
        'a full resource name is accepted too',
      );

      const info = await byId.info();
      assert.equal(info.id, created.id);
      assert.equal(info.state, t.state('completed'));
      assert.equal(info.title, 'Rehydrate me');
      assert.equal(info.sourceContext.source, SOURCE_NAME);

      const raw = await rawActivities(created.id);
      assertSameAsServer(await toArray(byId.history()), raw);
      const streamed = await collectStream(fresh.session(created.id).stream(), {
        until: isTerminalActivity,
        timeoutMs: HANG_MS,
        graceMs: 1_000,
      });
      assertSameAsServer(streamed, raw);

      const outcome = await result(byId, HANG_MS);
      assert.equal(outcome.state, 'completed');
      assert.equal(outcome.changeSet()?.gitPatch.unidiffPatch, original.changeSet()?.gitPatch.unidiffPatch);
      assert.equal(
        outcome.generatedFiles().get('src/rehydrated.ts')?.content,
        'export const rehydrated = true;',
      );

      await assert.rejects(fresh.session('no-such-session').info(), (e: unknown) => {
        assert.ok(e instanceof S.JulesApiError, String(e));
        assert.equal(e.status, 404);
        return true;
      });
    });

    test('all(): fan-out of 12 sessions with concurrency 10 all complete', {
      timeout: TEST_TIMEOUT,
    }, async () => {
      const items = Array.from({ length: 12 }, (_, i) => i);
      const runs = await jules.all(
        items,
        (i) => ({
          prompt: scriptPrompt(`Fan-out ${i}.`, {
            plan: ['Write a file'],
            steps: [{ write: { path: `fan/${i}.txt`, content: `${i}\n` } }],
          }),
          source: { github: 'acme/widgets', baseBranch: 'main' },
          autoPr: false,
        }),
        { concurrency: 10 },
      );
      assert.equal(runs.length, 12);
      assert.equal(new Set(runs.map((r) => r.id)).size, 12);
      const outcomes = await within(Promise.all(runs.map((r) => r.result())), HANG_MS, 'fan-out results');
      outcomes.forEach((o, i) => {
        assert.equal(o.state, 'completed');
        assert.deepEqual(
          o
            .generatedFiles()
            .all()
            .map((f) => [f.path, f.content]),
          [[`fan/${i}.txt`, `${i}`]],
        );
      });
    });

    test('sessions(): newest first, pagination, limit', { timeout: TEST_TIMEOUT }, async () => {
      const ids: string[] = [];
      const results: Array<Promise<Outcome>> = [];
      for (let i = 0; i < 3; i++) {
        const run = await jules.run({
          prompt: scriptPrompt(`Listing ${i}.`, { plan: ['Noop'], steps: [{ message: `listing ${i}` }] }),
          title: `listing ${i}`,
        });
        ids.push(run.id);
        results.push(run.result());
      }
      const all = await jules.sessions().all();
      const listed = all.map((s) => s.id);
      assert.equal(new Set(listed).size, listed.length, 'no duplicates');
      for (const id of ids) assert.ok(listed.includes(id), `session ${id} listed`);
      // Newest first: our three, created in order, appear in reverse.
      assert.deepEqual(
        listed.filter((id) => ids.includes(id)),
        [...ids].reverse(),
      );
      for (let i = 1; i < all.length; i++) {
        assert.ok(all[i - 1]!.createTime >= all[i]!.createTime, 'sorted by createTime descending');
      }
      for (const s of all) {
        assert.equal(s.name, `sessions/${s.id}`);
        assert.match(s.createTime, TS_RE);
        t.assertKnownState(s.state, `state of ${s.id}`);
      }
      const mine = all.find((s) => s.id === ids[2])!;
      assert.equal(mine.title, 'listing 2');

      const page = await jules.sessions({ pageSize: 2 });
      assert.equal(page.sessions.length, 2);
      assert.ok(page.nextPageToken, 'nextPageToken when more remain');
      const paged = await jules.sessions({ pageSize: 2 }).all();
      assert.deepEqual(
        paged.map((s) => s.id),
        listed,
        'paging with pageSize=2 yields the same list',
      );
      const limited = await jules.sessions({ pageSize: 2, limit: 3 }).all();
      assert.deepEqual(
        limited.map((s) => s.id),
        listed.slice(0, 3),
      );
      // Let the sessions finish so that no work is in flight when the server is killed.
      for (const r of results) assert.equal((await within(r, HANG_MS, 'run.result()')).state, 'completed');
    });

    test('a source behind the GitHub provider: session({source}) ends with a pull request opened on GitHub', {
      timeout: TEST_TIMEOUT,
    }, async () => {
      const config = {
        prompt: scriptPrompt('Add a hub note.', {
          plan: ['Write HUB.md'],
          steps: [{ write: { path: 'HUB.md', content: '# Hub\n' } }],
        }),
        title: 'Hub note',
        source: { github: 'acme/hub', baseBranch: 'main' },
        requireApproval: false,
      };
      const outcome = t.sessionAutoPr
        ? await result(await jules.session(config), HANG_MS)
        : await within((await jules.run(config)).result(), HANG_MS, 'run.result()');
      assert.equal(outcome.state, 'completed');
      assert.match(outcome.pullRequest?.url ?? '', /^https:\/\/github\.example\/acme\/hub\/pull\/\d+$/);
      assert.equal(outcome.generatedFiles().get('HUB.md')?.changeType, 'created');
      assert.equal(git(hubBare, 'show', `${outcome.pullRequest!.headRef}:HUB.md`), '# Hub\n');
    });

    test('a COMPLETED session continues: ask() is answered and the follow-up work joins its outputs', {
      timeout: TEST_TIMEOUT,
    }, async () => {
      const session = await jules.session({
        prompt: scriptPrompt('First round.', {
          plan: ['Write first.txt'],
          steps: [{ write: { path: 'first.txt', content: 'first\n' } }],
        }),
        source: { github: 'acme/widgets', baseBranch: 'main' },
        requireApproval: false,
        autoPr: false,
      });
      const first = await result(session, HANG_MS);
      assert.equal(first.generatedFiles().get('first.txt')?.changeType, 'created');
      // The follow-up's work (a script without onMessage only acknowledges messages, so it is put in place here).
      writeFileSync(join(server.dataDir, 'workspaces', session.id, 'second.txt'), 'second\n');
      // The SDK sends without checking the state: a COMPLETED session takes the message and works again.
      const reply = await within(session.ask('Also keep second.txt.'), HANG_MS, 'ask()');
      assert.equal(reply.type, 'agentMessaged');
      const again = await waitUntilCompletedTwice(session.id);
      assert.equal(again.state, 'COMPLETED');
      const outcome = await result(session, HANG_MS);
      assert.deepEqual(
        outcome
          .generatedFiles()
          .all()
          .map((f) => f.path)
          .sort(),
        ['first.txt', 'second.txt'],
      );
      const history = await historyOf(session);
      assertSameAsServer(history, await rawActivities(session.id));
      assert.deepEqual(
        history.filter((a) => a.type === 'sessionCompleted' || a.type === 'userMessaged').map((a) => a.type),
        ['sessionCompleted', 'userMessaged', 'sessionCompleted'],
      );
    });

    /** Polls the raw session until a second sessionCompleted is recorded (the SDK may cache the first). */
    async function waitUntilCompletedTwice(id: string): Promise<{ state: string }> {
      for (let i = 0; i < 300; i++) {
        const acts = await rawActivities(id);
        const done = acts.filter((a) => (a as unknown as Record<string, unknown>).sessionCompleted).length;
        const s = (await api(server, 'GET', `/sessions/${id}`)).body;
        if (done >= 2 && s.state === 'COMPLETED') return s;
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error('the follow-up did not complete');
    }
  });
}
