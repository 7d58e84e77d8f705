// Chooses a sandbox implementation. (A bubblewrap-based one will live in ./bubblewrap/.)
import { PlainSandbox, type PlainSandboxOptions } from './plain/plain-sandbox.ts';
import type { Sandbox } from './sandbox.ts';

export type { RunRequest, RunResult, Sandbox } from './sandbox.ts';
export { EXIT_ABORTED, EXIT_TIMEOUT } from './sandbox.ts';

export type SandboxKind = 'plain';

export function createSandbox(kind: SandboxKind, opts: PlainSandboxOptions = {}): Sandbox {
  switch (kind) {
    case 'plain':
      return new PlainSandbox(opts);
    default:
      throw new Error(`Unknown sandbox kind: ${String(kind)}`);
  }
}
