/** The settings file shared by serve, worker and the admin commands: flags > environment > file > defaults. */
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { applySettingsFile, parseSettingsFile } from '../../src/cli/config-file.ts';
import { makeTempDir } from '../support/server.ts';
import { runCli } from './run-cli.ts';

const dir = makeTempDir('stint-settings-');
after(() => rmSync(dir, { recursive: true, force: true }));

test('NAME=value lines with comments, export and quotes; anything else is refused with its line', () => {
  const parsed = parseSettingsFile(
    '# Stint\n\nSTINT_PORT=9090\nexport STINT_LOG_LEVEL="warn"\nSTINT_DATA_DIR=/srv/stint  # data\nSTINT_PUBLIC_URL=\'https://x/#y\'\n',
    'f',
  );
  assert.deepEqual(Object.fromEntries(parsed), {
    STINT_PORT: '9090',
    STINT_LOG_LEVEL: 'warn',
    STINT_DATA_DIR: '/srv/stint',
    STINT_PUBLIC_URL: 'https://x/#y',
  });
  assert.throws(
    () => parseSettingsFile('STINT_PORT=1\nPATH=/tmp\n', 'stint.conf'),
    /stint\.conf:2: expected/,
  );
});

test('the environment wins over the file', () => {
  const path = join(dir, 'a.conf');
  writeFileSync(path, 'STINT_PORT=9090\nSTINT_HOST=0.0.0.0\n');
  const env: NodeJS.ProcessEnv = { STINT_PORT: '7070' };
  assert.deepEqual(applySettingsFile(path, env), ['STINT_HOST']);
  assert.equal(env.STINT_PORT, '7070');
  assert.equal(env.STINT_HOST, '0.0.0.0');
});

test('admin commands read STINT_CONFIG; a bad file fails with one line and exit 2', async () => {
  const data = join(dir, 'data');
  const good = join(dir, 'good.conf');
  writeFileSync(good, `STINT_DATA_DIR=${data}\n`);
  const created = await runCli(['keys', 'create', '--name', 'from-file'], { env: { STINT_CONFIG: good } });
  assert.equal(created.code, 0, created.stderr);
  const listed = await runCli(['keys', 'list', '--data-dir', data]);
  assert.match(listed.stdout, /from-file/);

  const bad = join(dir, 'bad.conf');
  writeFileSync(bad, 'PORT=1\n');
  const failed = await runCli(['serve', '--config', bad, '--port', '0', '--data-dir', data]);
  assert.equal(failed.code, 2);
  assert.equal(failed.stderr.trim().split('\n').length, 1, failed.stderr);
  assert.match(failed.stderr, /bad\.conf:1: expected STINT_NAME=value/);
});
