/**
 * What the network allowlist costs per command under bubblewrap: (1) a command that does nothing
 * (`true`), with the allowlist (proxy started, forwarder started in the sandbox) against the same
 * command without network; (2) one HTTP GET with curl to a server on 127.0.0.1, through the allowlist
 * proxy against the same GET with the host's network shared (`network: true`). Samples alternate
 * between the two sides so machine load hits both alike; medians are compared.
 */
import { mkdtemp, realpath } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BubblewrapSandbox } from '../src/sandbox/bubblewrap/bubblewrap-sandbox.ts';
import { probeBubblewrap } from '../src/sandbox/bubblewrap/probe.ts';
import type { RunRequest } from '../src/sandbox/sandbox.ts';
import { parseAllowlist } from '../src/webhooks/address-filter.ts';
import { removeTree } from '../src/workspace/remove-tree.ts';
import { percentile, round, type Section } from './lib.ts';

export async function benchSandboxNetwork(samples = 15): Promise<Section> {
  const probe = await probeBubblewrap();
  if (!probe.ok) throw new Error(probe.reason);
  const sandbox = new BubblewrapSandbox({
    bwrapPath: probe.path,
    features: probe.features,
    network: { allowPrivate: parseAllowlist('127.0.0.0/8') },
  });
  const server = http.createServer((_req, res) => res.end('ok\n'));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  const dir = await realpath(await mkdtemp(join(tmpdir(), 'stint-bench-net-')));
  const run = async (command: string, network: RunRequest['network']) => {
    const t0 = performance.now();
    const r = await sandbox.run({ command, cwd: dir, timeoutMs: 120_000, maxOutputBytes: 10_000, network });
    if (r.exitCode !== 0) throw new Error(`'${command}' failed (${r.exitCode}): ${r.output}`);
    return performance.now() - t0;
  };
  const allow = { allow: ['127.0.0.1'] };
  const get = `curl -sS --max-time 60 --noproxy '' http://127.0.0.1:${port}/`;
  const t = {
    none: [] as number[],
    allowTrue: [] as number[],
    shared: [] as number[],
    proxied: [] as number[],
  };
  try {
    await run('true', allow); // warm caches
    for (let i = 0; i < samples; i++) {
      t.none.push(await run('true', false));
      t.allowTrue.push(await run('true', allow));
      t.shared.push(await run(get, true));
      t.proxied.push(await run(get, allow));
    }
  } finally {
    server.close();
    await removeTree(dir);
  }
  const med = (xs: number[]) => round(percentile(xs, 50), 1);
  return {
    title: 'Network allowlist: cost per sandboxed command (bubblewrap)',
    figures: [
      {
        name: '`true` with the allowlist (proxy + in-sandbox forwarder)',
        value: med(t.allowTrue),
        unit: 'ms (median)',
        baselineName: '`true` without network',
        baseline: med(t.none),
        ratio: round(med(t.allowTrue) / med(t.none), 2),
      },
      {
        name: 'one curl GET to 127.0.0.1 through the allowlist proxy',
        value: med(t.proxied),
        unit: 'ms (median)',
        baselineName: 'the same GET with the host network shared',
        baseline: med(t.shared),
        ratio: round(med(t.proxied) / med(t.shared), 2),
      },
    ],
    notes: [
      `${samples} samples of each, alternating. The extra cost is mostly starting node inside the sandbox for the forwarder; it is paid once per command, not per connection.`,
    ],
  };
}

if (import.meta.main) {
  const s = await benchSandboxNetwork(Number(process.env.SAMPLES ?? '15'));
  console.log(JSON.stringify(s, null, 2));
}
