/**
 * A secret must not cross any boundary that leaves the server's trust: a seeded tenant secret is
 * given to the session's commands, which print it and write it into a file; the LLM agent (against
 * the fake model) then reads that file, searches it and diffs it. Afterwards the secret is in no
 * request to the model, no call to the (fake) GitHub, no pushed branch, no row of any table and no
 * file of the data directory except the one file the command wrote in the checkout. A patch holding
 * the secret is not published, with a clear reason; a patch without one is published, and the
 * stored patch is exactly what was pushed.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { after, before, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { openSecrets } from '../../src/security/setup.ts';
import { type FakeGitHub, startFakeGitHub } from '../support/fake-github.ts';
import { type FakeOpenAI, type FakeReply, startFakeOpenAI } from '../support/fake-openai.ts';
import { git, makeBareRepo } from '../support/git-fixtures.ts';
import { makeTempDir } from '../support/server.ts';
import { eventually, startTestStint, type TestStint } from './helpers.ts';

const SECRET = 'sek_Q7v2LmZx9Rt4Wp8Kd3';
const GH_TOKEN = 'ghp_secrets_boundaries_token_1';
const SOURCE = 'github/acme/widgets';
/** Every form the redactor promises to catch. */
const FORMS = [
  SECRET,
  encodeURIComponent(SECRET),
  Buffer.from(SECRET).toString('base64').replace(/=+$/, ''),
  JSON.stringify(SECRET).slice(1, -1),
];

function assertNoSecret(where: string, text: string): void {
  for (const form of FORMS) assert.ok(!text.includes(form), `the secret is in ${where}`);
}

/** Every row of every table of the SQLite store, as text. */
function allRows(dbFile: string): Record<string, string> {
  const db = new Database(dbFile, { readonly: true, fileMustExist: true });
  try {
    const tables = db.prepare("select name from sqlite_master where type = 'table'").all() as {
      name: string;
    }[];
    return Object.fromEntries(
      tables.map(({ name }) => {
        const rows = db.prepare(`select * from "${name.replaceAll('"', '""')}"`).all();
        return [name, JSON.stringify(rows, (_k, v) => (Buffer.isBuffer(v) ? v.toString('latin1') : v))];
      }),
    );
  } finally {
    db.close();
  }
}

function allFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    const st = statSync(path, { throwIfNoEntry: false });
    if (st?.isDirectory()) out.push(...allFiles(path));
    else if (st?.isFile()) out.push(path);
  }
  return out;
}

let t: TestStint;
let gh: FakeGitHub;
let fake: FakeOpenAI | undefined;
let bare: string;
let key: string;

const plan = { toolCalls: [{ name: 'propose_plan', args: { steps: [{ title: 'Use the token' }] } }] };

const savedToken = process.env['STINT_GITHUB_TOKEN'];
before(async () => {
  // The GitHub token is read from the process environment when a session needs it.
  process.env['STINT_GITHUB_TOKEN'] = GH_TOKEN;
  bare = makeBareRepo();
  gh = await startFakeGitHub([{ owner: 'acme', repo: 'widgets', path: bare, private: true }], {
    tokens: [GH_TOKEN],
  });
});
after(async () => {
  await t?.close();
  await fake?.close();
  await gh?.close();
  if (bare) rmSync(dirname(bare), { recursive: true, force: true });
  if (savedToken === undefined) delete process.env['STINT_GITHUB_TOKEN'];
  else process.env['STINT_GITHUB_TOKEN'] = savedToken;
});

async function serve(script: FakeReply[]): Promise<void> {
  await t?.close();
  await fake?.close();
  fake = await startFakeOpenAI(script);
  t = await startTestStint({
    worker: true,
    env: {
      STINT_AGENT: 'llm',
      STINT_MODEL: 'openai-compatible:fake-coder',
      STINT_MODEL_BASE_URL: fake.baseUrl,
      STINT_MODEL_API_KEY: 'sk-fake-model-key-boundaries',
      STINT_MODEL_RETRY_BASE_MS: '20',
      STINT_GITHUB_TOKEN: GH_TOKEN,
      STINT_GITHUB_API_URL: gh.url,
      STINT_LOG_LEVEL: 'error',
      // Keep the finished session's checkout: the test looks at the file the command wrote.
      STINT_WORKSPACE_RETENTION: '1h',
    },
  });
  const store = t.stint.store;
  await store.security.createTenant({ id: 'acme', name: 'Acme' });
  await store.putSource({
    tenantId: 'acme',
    id: SOURCE,
    gitUrl: bare,
    isPrivate: true,
    config: { github: { useServer: true, apiUrl: gh.url } },
    defaultBranch: 'main',
    createTime: Date.now() * 1000,
  });
  const { secrets } = await openSecrets(store, t.dataDir, t.stint.config.security);
  await secrets.set('acme', '', 'TOKEN', SECRET);
  key = await t.key('acme');
}

async function runSession(prompt: string): Promise<{ session: any; activities: any[] }> {
  const created = await t.call(key, 'POST', '/v1alpha/sessions', {
    prompt,
    sourceContext: { source: `sources/${SOURCE}`, githubRepoContext: { startingBranch: 'main' } },
    automationMode: 'AUTO_CREATE_PR',
  });
  assert.equal(created.status, 200, JSON.stringify(created.body));
  const id = created.body.id as string;
  const session = await eventually(async () => {
    const s = (await t.call(key, 'GET', `/v1alpha/sessions/${id}`)).body;
    return s.state === 'COMPLETED' || s.state === 'FAILED' ? s : undefined;
  }, 120_000);
  const activities = (await t.call(key, 'GET', `/v1alpha/sessions/${id}/activities?pageSize=100`)).body
    .activities as any[];
  return { session, activities };
}

describe('a secret written into a file', () => {
  test('reaches no model request, no GitHub call, no branch, no table and no file but its own', async () => {
    await serve([
      plan,
      {
        toolCalls: [
          { name: 'start_step', args: { step: 1 } },
          {
            name: 'run_command',
            args: { command: 'echo "token is $TOKEN"; printf "token=%s\\n" "$TOKEN" > leaked.env' },
          },
        ],
      },
      {
        toolCalls: [
          { name: 'read_file', args: { path: 'leaked.env' } },
          { name: 'search_files', args: { pattern: 'token=' } },
          { name: 'git_diff', args: {} },
        ],
      },
      { text: 'Wrote leaked.env.' },
    ]);
    const { session, activities } = await runSession('Write the token into leaked.env.');
    assert.equal(session.state, 'COMPLETED', JSON.stringify(activities));

    // The model saw the tool results, redacted.
    assert.ok(fake!.requests.length >= 4);
    const toModel = JSON.stringify(fake!.requests.map((r) => r.body));
    assertNoSecret('a request to the model', toModel);
    assert.match(toModel, /token=\*\*\*/, 'read_file, search_files and git_diff results reached the model');

    // Nothing was published: the delivery failed with the reason; the outputs keep the redacted patch.
    const reason = activities.find((a) => a.progressUpdated?.title === 'Could not publish the changes');
    assert.ok(reason, JSON.stringify(activities));
    assert.match(reason.progressUpdated.description, /contains the value of one of the session's secrets/);
    assert.equal(
      session.outputs.some((o: any) => o.pullRequest),
      false,
    );
    assert.match(session.outputs[0].changeSet.gitPatch.unidiffPatch, /\+token=\*\*\*/);
    assert.equal(git(bare, 'for-each-ref', '--format=%(refname)', 'refs/heads/stint').trim(), '');
    assert.deepEqual(gh.pulls('acme', 'widgets'), []);
    assertNoSecret('a call to GitHub', JSON.stringify(gh.calls));
    assertNoSecret('the API', JSON.stringify({ session, activities }));

    // Every table, every row (agent state/transcript, activities, outputs, snapshots, ...).
    for (const [table, rows] of Object.entries(allRows(join(t.dataDir, 'stint.db')))) {
      assertNoSecret(`table ${table}`, rows);
    }
    // Every file of the data directory, but the one the command wrote (it is the session's own).
    const own = join(t.dataDir, 'workspaces', session.id, 'leaked.env');
    assert.match(readFileSync(own, 'utf8'), new RegExp(`token=${SECRET}`), 'the command really had it');
    for (const file of allFiles(t.dataDir)) {
      if (file === own) continue;
      assertNoSecret(`file ${relative(t.dataDir, file)}`, readFileSync(file).toString('latin1'));
    }
  });
});

describe('a secret only printed', () => {
  test('the clean patch is published, and the stored patch is exactly what was pushed', async () => {
    await serve([
      plan,
      {
        toolCalls: [
          { name: 'start_step', args: { step: 1 } },
          { name: 'run_command', args: { command: 'echo "token is $TOKEN"; echo clean > clean.txt' } },
        ],
      },
      { text: 'Wrote clean.txt.' },
    ]);
    const { session, activities } = await runSession('Print the token, write clean.txt.');
    assert.equal(session.state, 'COMPLETED', JSON.stringify(activities));
    const pr = session.outputs.find((o: any) => o.pullRequest)?.pullRequest;
    assert.ok(pr, JSON.stringify(activities));
    const { baseCommitId, unidiffPatch } = session.outputs[0].changeSet.gitPatch;
    // Applying the stored patch on the base gives exactly the pushed commit's tree.
    const branch = `stint/${session.id}`;
    const pushedTree = git(bare, 'rev-parse', `refs/heads/${branch}^{tree}`).trim();
    const dir = makeTempDir('stint-apply-');
    try {
      git(dir, 'clone', '-q', '--', bare, 'c');
      const clone = join(dir, 'c');
      git(clone, 'checkout', '-q', baseCommitId);
      writeFileSync(join(dir, 'p.diff'), unidiffPatch);
      git(clone, 'apply', '--index', '--binary', join(dir, 'p.diff'));
      assert.equal(git(clone, 'write-tree').trim(), pushedTree);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    assertNoSecret('the pushed branch', git(bare, 'log', '-p', `refs/heads/${branch}`));
    assertNoSecret('a call to GitHub', JSON.stringify(gh.calls));
    assertNoSecret('a request to the model', JSON.stringify(fake!.requests.map((r) => r.body)));
  });
});
