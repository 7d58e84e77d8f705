/** `stint sources add|update` with the setup options: stored in the source's config, validated, cleared. */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { after, test } from 'node:test';
import { openStore } from '../../src/store/index.ts';
import { runCli } from '../cli/run-cli.ts';
import { makeBareRepo } from '../support/git-fixtures.ts';
import { makeTempDir } from '../support/server.ts';

const dataDir = makeTempDir('stint-setup-cli-');
const bare = makeBareRepo();
after(() => {
  rmSync(dataDir, { recursive: true, force: true });
  rmSync(dirname(bare), { recursive: true, force: true });
});

async function setupOf(id: string): Promise<unknown> {
  const store = await openStore({ dataDir });
  try {
    return (await store.getSource('default', id))?.config.setup;
  } finally {
    await store.close();
  }
}

test('sources add --setup … and sources update change the setup settings', async () => {
  const id = 'github/acme/widgets';
  const add = await runCli([
    'sources',
    'add',
    id,
    '--git-url',
    bare,
    '--data-dir',
    dataDir,
    '--setup',
    'npm ci',
    '--setup',
    'npm run build',
    '--setup-timeout',
    '15m',
    '--setup-secret',
    'NPM_TOKEN',
    '--cache-key-file',
    'package-lock.json',
    '--cache-key-file',
    'tools/*.lock',
  ]);
  assert.equal(add.code, 0, add.stderr);
  assert.deepEqual(await setupOf(id), {
    commands: ['npm ci', 'npm run build'],
    timeoutMs: 15 * 60_000,
    secrets: ['NPM_TOKEN'],
    cacheKeyFiles: ['package-lock.json', 'tools/*.lock'],
  });

  const update = await runCli([
    'sources',
    'update',
    id,
    '--data-dir',
    dataDir,
    '--setup',
    'pnpm install',
    '--cache-path',
    'node_modules',
    '--no-setup-cache',
    '--setup-timeout',
    '90',
  ]);
  assert.equal(update.code, 0, update.stderr);
  assert.deepEqual(await setupOf(id), {
    commands: ['pnpm install'],
    timeoutMs: 90_000,
    secrets: ['NPM_TOKEN'],
    cachePaths: ['node_modules'],
    cacheKeyFiles: ['package-lock.json', 'tools/*.lock'],
    cache: false,
  });

  const bad = await runCli(['sources', 'update', id, '--data-dir', dataDir, '--cache-path', '../outside']);
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /cachePaths: "\.\.\/outside" is not a relative path in the checkout/);
  const badSecret = await runCli(['sources', 'update', id, '--data-dir', dataDir, '--setup-secret', 'a-b']);
  assert.match(badSecret.stderr, /secrets: "a-b" is not an environment variable name/);

  const cleared = await runCli(['sources', 'update', id, '--data-dir', dataDir, '--clear-setup']);
  assert.equal(cleared.code, 0, cleared.stderr);
  assert.equal(await setupOf(id), undefined);
  const missing = await runCli([
    'sources',
    'update',
    'github/acme/none',
    '--data-dir',
    dataDir,
    '--setup',
    'x',
  ]);
  assert.match(missing.stderr, /no source github\/acme\/none/);
});
