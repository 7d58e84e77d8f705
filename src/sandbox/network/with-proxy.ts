/**
 * Runs one command with its own allowlist proxy: started before the command, closed after it, and
 * what it refused attached to the result.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { removeTree } from '../../workspace/remove-tree.ts';
import type { NetworkAllowlist, RunResult } from '../sandbox.ts';
import type { AddressPolicy } from './address-policy.ts';
import { AllowlistProxy } from './allowlist-proxy.ts';
import { parseHostPatterns } from './host-patterns.ts';

/** The server-side settings of the allowlist proxy (the patterns come with each command). */
export interface SandboxNetworkOptions extends AddressPolicy {
  /**
   * The node binary the bubblewrap sandbox runs its in-sandbox forwarder with (shown read-only
   * inside); default: the server's own (process.execPath).
   */
  nodePath?: string;
}

export const DEFAULT_NETWORK: SandboxNetworkOptions = Object.freeze({ allowPrivate: [] });

/**
 * Starts a proxy for `rule` (on a Unix socket in a fresh private directory when `unix`, else on a
 * free loopback port), runs `command` with it, closes it, and reports what it blocked.
 */
export async function withAllowlistProxy(
  rule: NetworkAllowlist,
  opts: SandboxNetworkOptions,
  unix: boolean,
  command: (proxy: AllowlistProxy) => Promise<RunResult>,
): Promise<RunResult> {
  const allow = parseHostPatterns(rule.allow, 'network.allow');
  const dir = unix ? await mkdtemp(join(tmpdir(), 'stint-net-')) : undefined;
  try {
    const proxy = await AllowlistProxy.start({
      allow,
      allowPrivate: opts.allowPrivate,
      ...(opts.resolver ? { resolver: opts.resolver } : {}),
      ...(dir ? { socketPath: join(dir, 'proxy.sock') } : {}),
    });
    try {
      const result = await command(proxy);
      const blocked = proxy.blocked();
      return blocked.length > 0 ? { ...result, blocked } : result;
    } finally {
      await proxy.close();
    }
  } finally {
    if (dir) await removeTree(dir);
  }
}
