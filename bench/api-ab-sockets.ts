/**
 * `npx node bench/api-ab-sockets.ts <tree> [seconds] [rounds]`: GET /v1alpha/sessions/{id} on this tree's
 * Stint against the Stint of another checkout of the repository (`<tree>`, e.g. an earlier commit
 * unpacked with `git archive`, its node_modules linked), and the bare node:http server, all loaded in
 * turn within each round (order rotated), as bench/api-overhead.ts does: a change's effect measured
 * in one run, on a machine whose load moves every figure. Reports server CPU per request (medians)
 * and each Stint's bare / Stint ratio.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { type Load, load, median, spawnBaseline } from './api-overhead.ts';

const other = resolve(process.argv[2] ?? '');
const seconds = Number(process.argv[3] ?? 4);
const rounds = Number(process.argv[4] ?? 5);
const here = resolve(import.meta.dirname, '..');

async function serve(tree: string) {
  const dataDir = mkdtempSync(join(tmpdir(), 'stint-ab-'));
  const apiKey = `ab_${randomBytes(12).toString('hex')}`;
  const proc: ChildProcess = spawn(
    process.execPath,
    [
      join(tree, 'src', 'cli', 'main.ts'),
      'serve',
      '--host',
      '127.0.0.1',
      '--port',
      '0',
      '--data-dir',
      dataDir,
    ],
    {
      env: { ...process.env, STINT_API_KEY: apiKey, STINT_LOG_LEVEL: 'error' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const origin = await new Promise<string>((ok, fail) => {
    const seen = (d: Buffer) => {
      const m = /listening on (http:\/\/[^\s]+)/i.exec(String(d));
      if (m) ok(m[1]!.replace(/\/$/, ''));
    };
    proc.stdout!.on('data', seen);
    proc.stderr!.on('data', seen);
    proc.once('exit', () => fail(new Error(`stint in ${tree} exited`)));
  });
  const headers = { 'x-goog-api-key': apiKey, 'content-type': 'application/json' };
  const created = await fetch(`${origin}/v1alpha/sessions`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ prompt: 'benchmark session' }),
  }).then((r) => r.json() as Promise<{ id: string }>);
  const url = `${origin}/v1alpha/sessions/${created.id}`;
  let body = '';
  for (let i = 0; i < 600; i++) {
    body = await fetch(url, { headers }).then((r) => r.text());
    if (/"state":"(COMPLETED|FAILED)"/.test(body)) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    body,
    run: (s: number) => load(url, headers, s, proc.pid!),
    stop: () => {
      proc.kill('SIGTERM');
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

const before = await serve(other);
const after = await serve(here);
const bare = await spawnBaseline('bare-server.ts', after.body);
const procs = [bare.proc];
try {
  const headers = { 'x-goog-api-key': 'unused', 'content-type': 'application/json' };
  const targets = {
    bare: (s: number) => load(`${bare.url}/v1alpha/sessions/x`, headers, s, bare.proc.pid!),
    before: before.run,
    after: after.run,
  };
  const keys = Object.keys(targets) as (keyof typeof targets)[];
  for (const k of keys) await targets[k](2);
  const out: Record<keyof typeof targets, Load>[] = [];
  for (let r = 0; r < rounds; r++) {
    const res: Partial<Record<keyof typeof targets, Load>> = {};
    for (const k of keys.map((_, i, a) => a[(i + r) % a.length]!)) res[k] = await targets[k](seconds);
    out.push(res as Record<keyof typeof targets, Load>);
  }
  const cpu = (k: keyof typeof targets) => median(out.map((r) => r[k].cpuUs));
  const ratio = (k: 'before' | 'after') => median(out.map((r) => r.bare.cpuUs / r[k].cpuUs));
  const rps = (k: 'before' | 'after') => median(out.map((r) => r[k].rps / r.bare.rps));
  console.log(
    `server CPU per request (µs, medians): bare ${cpu('bare').toFixed(0)}, before ${cpu('before').toFixed(0)}, after ${cpu('after').toFixed(0)}`,
  );
  console.log(
    `bare / Stint CPU per request: before ${ratio('before').toFixed(3)}, after ${ratio('after').toFixed(3)}; req/s against bare: before ${rps('before').toFixed(3)}, after ${rps('after').toFixed(3)}`,
  );
  console.log(
    `per round (before / after / bare µs): ${out.map((r) => `${r.before.cpuUs.toFixed(0)} / ${r.after.cpuUs.toFixed(0)} / ${r.bare.cpuUs.toFixed(0)}`).join('; ')}`,
  );
} finally {
  for (const p of procs) p.kill('SIGTERM');
  before.stop();
  after.stop();
}
