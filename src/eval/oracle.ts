/**
 * The oracle: an external "agent CLI" that applies each task's gold patch, used to validate the
 * harness (it must score 100 %). The eval writes the patches into a folder keyed by the hash of
 * the session prompt (the task's problem statement) and runs this preset through the ordinary
 * `cli` agent backend, so it goes through exactly the path a real agent CLI takes.
 */
import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { EvalTask } from './task.ts';

/** Runs in the sandbox with plain Node: reads the prompt file, applies the matching patch. */
const ORACLE_SCRIPT = `import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
const prompt = readFileSync(process.argv[2], 'utf8');
const key = createHash('sha256').update(prompt).digest('hex');
const patch = join(dirname(fileURLToPath(import.meta.url)), 'patches', key + '.patch');
if (!existsSync(patch)) {
  console.error('oracle: no gold patch for this prompt (' + key + ')');
  process.exit(3);
}
execFileSync('git', ['apply', '--binary', '--whitespace=nowarn', patch], { stdio: 'inherit' });
console.log('oracle: applied the gold patch');
`;

export function promptKey(prompt: string): string {
  return createHash('sha256').update(prompt).digest('hex');
}

/**
 * Writes the oracle into `dir` and returns the server environment that selects it: the `cli`
 * agent with the oracle's command, and the folder (and this Node binary) visible read-only inside
 * the sandbox. Tasks without a gold patch get none (the oracle then fails them).
 */
export async function prepareOracle(dir: string, tasks: EvalTask[]): Promise<Record<string, string>> {
  await mkdir(join(dir, 'patches'), { recursive: true });
  await writeFile(join(dir, 'oracle.mjs'), ORACLE_SCRIPT);
  for (const t of tasks) {
    if (t.goldPatch)
      await writeFile(join(dir, 'patches', `${promptKey(t.problemStatement)}.patch`), t.goldPatch);
  }
  return {
    STINT_AGENT: 'cli',
    STINT_CLI_AGENT: 'oracle',
    STINT_CLI_AGENT_COMMAND: JSON.stringify([process.execPath, join(dir, 'oracle.mjs'), '{promptFile}']),
    STINT_SANDBOX_READ_ONLY_PATHS: [dir, process.execPath].join(':'),
  };
}
