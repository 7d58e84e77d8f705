// Chooses a sandbox implementation: bubblewrap where it works, else plain processes (with a warning).
import { BubblewrapSandbox, type BubblewrapSandboxOptions } from './bubblewrap/bubblewrap-sandbox.ts';
import { probeBubblewrap } from './bubblewrap/probe.ts';
import { PlainSandbox, type PlainSandboxOptions } from './plain/plain-sandbox.ts';
import type { Sandbox } from './sandbox.ts';

export type { BlockedConnection, NetworkAllowlist, RunRequest, RunResult, Sandbox } from './sandbox.ts';
export { EXIT_ABORTED, EXIT_TIMEOUT } from './sandbox.ts';

export type SandboxKind = 'plain' | 'bubblewrap';
/** What the operator asks for: `auto` is bubblewrap when it works here, else plain. */
export type SandboxChoice = 'auto' | SandboxKind;

export function createSandbox(kind: 'plain', opts?: PlainSandboxOptions): Sandbox;
export function createSandbox(kind: 'bubblewrap', opts: BubblewrapSandboxOptions): Sandbox;
export function createSandbox(kind: SandboxKind, opts: unknown = {}): Sandbox {
  switch (kind) {
    case 'plain':
      return new PlainSandbox(opts as PlainSandboxOptions);
    case 'bubblewrap':
      return new BubblewrapSandbox(opts as BubblewrapSandboxOptions);
    default:
      throw new Error(`Unknown sandbox kind: ${String(kind)}`);
  }
}

export interface SandboxSelection {
  sandbox: Sandbox;
  /** Set when commands run without isolation although isolation was possible to ask for. */
  warning?: string;
}

export class SandboxUnavailableError extends Error {}

export interface SelectOptions {
  /** An explicit bwrap executable; default: `bwrap` on PATH. */
  bwrapPath?: string;
  bubblewrap?: Omit<BubblewrapSandboxOptions, 'bwrapPath' | 'features'>;
  plain?: PlainSandboxOptions;
}

/**
 * `auto`: bubblewrap if it is installed and can build a sandbox on this machine, else plain with a
 * warning saying why. `bubblewrap`: fails when it cannot be used. `plain`: no isolation, on purpose.
 */
export async function selectSandbox(
  choice: SandboxChoice,
  opts: SelectOptions = {},
): Promise<SandboxSelection> {
  if (choice === 'plain') {
    return {
      sandbox: new PlainSandbox(opts.plain),
      warning:
        'Sandbox: plain processes (STINT_SANDBOX=plain). Agent commands can read and write everything the server user can, and use the network (a network allowlist is not enforced: only the proxy variables point at it).',
    };
  }
  const probe = await probeBubblewrap(opts.bwrapPath);
  if (probe.ok) {
    return {
      sandbox: new BubblewrapSandbox({ ...opts.bubblewrap, bwrapPath: probe.path, features: probe.features }),
    };
  }
  if (choice === 'bubblewrap') throw new SandboxUnavailableError(`Sandbox: ${probe.reason}`);
  return {
    sandbox: new PlainSandbox(opts.plain),
    warning: `Sandbox: NOT ISOLATED. ${probe.reason}. Agent commands run as plain processes that can read and write everything the server user can, and use the network (a network allowlist is not enforced: only the proxy variables point at it).`,
  };
}
