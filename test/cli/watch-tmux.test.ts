/**
 * The live watch view on a real terminal (tmux): spinner and elapsed time ticking while the session
 * waits, new activities appearing as they happen, coloured diff, the spinner gone at the end.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { scriptPrompt } from '../support/git-fixtures.ts';
import { api, cliEntry, makeTempDir, type StartedServer, startServer, waitUntil } from '../support/server.ts';

// A private tmux server: its socket lives in the test's temp dir, its config is empty.
const tmux = (...args: string[]) =>
  execFileSync('tmux', ['-S', join(dir, 'tmux.sock'), '-f', '/dev/null', ...args], {
    encoding: 'utf8',
    stdio: 'pipe',
  });
const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
const SPINNER = /[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] AWAITING_USER_FEEDBACK · (\d+:\d\d) · Paint/;

let server: StartedServer;
let dir: string;

before(async () => {
  try {
    execFileSync('tmux', ['-V'], { stdio: 'ignore' });
  } catch {
    throw new Error('this test needs tmux: apt-get install -y tmux (npm test installs it when run as root)');
  }
  dir = makeTempDir('stint-tmux-');
  server = await startServer();
});

after(async () => {
  try {
    tmux('kill-server');
  } catch {}
  await server?.cleanup();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('stint watch on a terminal shows a live view that updates as the session moves', async () => {
  const created = await api(server, 'POST', '/sessions', {
    prompt: scriptPrompt('Paint it', {
      title: 'Paint',
      plan: ['Ask for a colour', 'Paint'],
      steps: [
        { ask: 'Which colour?' },
        { write: { path: 'colour.txt', content: 'blue\n' } },
        { message: 'Painted' },
      ],
    }),
  });
  assert.equal(created.status, 200, JSON.stringify(created.body));
  const id: string = created.body.id;

  const script = join(dir, 'watch.sh');
  const exports = {
    STINT_SERVER: server.origin,
    STINT_API_KEY: server.apiKey,
    XDG_CONFIG_HOME: dir,
    NO_COLOR: '',
  };
  writeFileSync(
    script,
    [
      ...Object.entries(exports).map(([k, v]) => `export ${k}=${quote(v)}`),
      'unset NO_COLOR FORCE_COLOR',
      `${quote(process.execPath)} ${quote(cliEntry)} watch ${id} --keep-waiting --interval 0.2`,
      'echo "EXIT=$?"',
      'sleep 600',
    ].join('\n'),
  );
  tmux('new-session', '-d', '-x', '110', '-y', '45', `sh ${quote(script)}`);
  const pane = (colours = false) => tmux('capture-pane', '-p', ...(colours ? ['-e'] : []));

  // Waiting for an answer: the question, the hint, and a spinner line whose elapsed time ticks.
  const first = await waitUntil<string | undefined>(() => {
    const text = pane();
    return SPINNER.test(text) && text.includes('Agent: Which colour?') ? text : undefined;
  }).then((t) => t!);
  assert.match(first, /Plan \(2 steps\):\n\s+1\. Ask for a colour\n\s+2\. Paint/);
  assert.match(first, new RegExp(`stint say ${id} "your answer" --wait`));
  const clockAt = (text: string) => SPINNER.exec(text)?.[1];
  const before = clockAt(first);
  const ticked = await waitUntil(() => {
    const t = clockAt(pane());
    return t && t !== before ? t : undefined;
  });
  assert.notEqual(ticked, before);
  assert.equal(pane().match(/Agent: Which colour\?/g)?.length, 1, 'activities are printed once');

  // The answer arrives from elsewhere; the same view picks it up and runs to the end.
  const sent = await api(server, 'POST', `/sessions/${id}:sendMessage`, { prompt: 'blue' });
  assert.equal(sent.status, 200);
  const final = await waitUntil<string | undefined>(() => {
    const text = pane();
    return text.includes('EXIT=0') ? text : undefined;
  }).then((t) => t!);
  for (const line of ['You: blue', 'Wrote colour.txt', 'Agent: Painted', '+blue', 'Session completed']) {
    assert.ok(final.includes(line), `${line} in:\n${final}`);
  }
  assert.ok(final.indexOf('Which colour?') < final.indexOf('You: blue'));
  assert.ok(final.indexOf('You: blue') < final.indexOf('Session completed'));
  assert.doesNotMatch(final, /[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏]/, 'the spinner line is cleared at the end');
  const coloured = pane(true);
  assert.match(coloured, /\x1b\[32m\+blue/, 'added lines are green');
  assert.match(coloured, /\x1b\[1m(\x1b\[\d+m)*diff --git a\/colour\.txt/, 'file headers are bold');
});
