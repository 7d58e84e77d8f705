/**
 * Whether the bubblewrap suites may skip. They run wherever bwrap can build a sandbox; where it
 * cannot, they FAIL (isolation must not go untested silently) unless the run sets
 * STINT_TEST_ALLOW_NO_SANDBOX=1 on purpose. The pretest (scripts/check-test-deps.mjs) says the same
 * before the suite starts, with the fix.
 */
import { readFileSync } from 'node:fs';
import { type BwrapProbe, probeBubblewrap } from '../../src/sandbox/bubblewrap/probe.ts';

function sysctl(name: string): string | undefined {
  try {
    return readFileSync(`/proc/sys/${name.replaceAll('.', '/')}`, 'utf8').trim();
  } catch {
    return undefined;
  }
}

/** The one-line fix for this machine, as far as its sysctls tell. */
export function sandboxFix(): string {
  if (sysctl('kernel.apparmor_restrict_unprivileged_userns') === '1')
    return 'sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0 (or give bwrap an AppArmor profile), or STINT_TEST_ALLOW_NO_SANDBOX=1 npm test to skip isolation tests on purpose';
  if (sysctl('kernel.unprivileged_userns_clone') === '0')
    return 'sudo sysctl -w kernel.unprivileged_userns_clone=1, or STINT_TEST_ALLOW_NO_SANDBOX=1 npm test to skip isolation tests on purpose';
  if (sysctl('user.max_user_namespaces') === '0')
    return 'sudo sysctl -w user.max_user_namespaces=15000, or STINT_TEST_ALLOW_NO_SANDBOX=1 npm test to skip isolation tests on purpose';
  return 'run the tests where user namespaces are allowed (in Docker: --security-opt seccomp=unconfined --security-opt apparmor=unconfined), or STINT_TEST_ALLOW_NO_SANDBOX=1 npm test to skip isolation tests on purpose';
}

export interface SandboxGate {
  probe: BwrapProbe;
  /** For `describe(name, { skip })`: a reason only when skipping was allowed explicitly. */
  skip: string | false;
  /** Call in `before`: throws (fails the suite) when bwrap cannot run and skipping was not allowed. */
  require(): void;
}

export async function bubblewrapGate(): Promise<SandboxGate> {
  const probe = await probeBubblewrap();
  const allowed = process.env['STINT_TEST_ALLOW_NO_SANDBOX'] === '1';
  const skip = !probe.ok && allowed ? `bubblewrap cannot run here: ${probe.reason}` : false;
  if (skip) process.stderr.write(`SKIPPING bubblewrap tests (STINT_TEST_ALLOW_NO_SANDBOX=1): ${skip}\n`);
  return {
    probe,
    skip,
    require() {
      if (!probe.ok)
        throw new Error(`bubblewrap cannot build a sandbox here (${probe.reason}). Fix: ${sandboxFix()}`);
    },
  };
}
