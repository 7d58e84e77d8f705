// Process liveness checks for tests.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';

/** Whether `pid` is running (a zombie counts as gone). */
export async function isAlive(pid: number): Promise<boolean> {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  return state !== '' && state !== 'Z' && state !== 'X';
}

/** Polls until `pid` is gone; true if it went away within `ms`. */
export async function waitGone(pid: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (!(await isAlive(pid))) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return !(await isAlive(pid));
}

/**
 * Runs a command that is meant to be cut short by its own timeout, with the timeout growing until the
 * command got far enough (`started`) before it fired: on a busy machine a shell can take longer than a
 * short timeout just to start, and a run cut before its children exist proves nothing about them.
 */
export async function runUntilStarted<R extends { output: string }>(
  run: (timeoutMs: number) => Promise<R>,
  started: (r: R) => boolean,
): Promise<R> {
  let last: R | undefined;
  for (const timeoutMs of [400, 2_000, 10_000, 50_000]) {
    last = await run(timeoutMs);
    if (started(last)) return last;
  }
  throw new Error(`the command never got started before its timeout: ${last?.output}`);
}

/** Polls until `file` exists (a command says it got somewhere); bounded so a hang fails. */
export async function waitForFile(file: string, ms = 60_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!existsSync(file)) {
    if (Date.now() > deadline) throw new Error(`${file} did not appear within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
