/**
 * The source's setup, once per checkout, after the checkout is made and before the agent's first
 * step: restored from the setup cache when its key matches (no command runs), else run in the
 * sandbox with its output as progress, then cached. A marker in the checkout's .git (which the
 * server rebuilds whenever it sets the checkout to a commit, and which commands can only read)
 * says the checkout's setup is done, so a session resumed on the same checkout does not run it again
 * while one rebuilt elsewhere does.
 */
import { lstat, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { NewActivity } from '../domain/activity.ts';
import { parseSourceName } from '../domain/names.ts';
import { formatBytes } from '../security/disk-usage.ts';
import type { SessionGuard } from '../security/session-guard.ts';
import { formatDuration, runSetup } from '../setup/run-setup.ts';
import type { SetupCache } from '../setup/setup-cache.ts';
import { planSetup, type SetupPlan } from '../setup/setup-plan.ts';
import type { SetupSettings } from '../setup/setup-settings.ts';
import { sourceSetupOf } from '../sources/setup-config.ts';
import type { SessionRecord } from '../store/store.ts';
import { dropFeed } from '../workspace/change-feed.ts';
import { serverGit, serverGitDirFor } from '../workspace/server-git.ts';
import { feedsCommands } from './feed-sandbox.ts';
import type { RunnerDeps } from './runner-deps.ts';

export interface SessionSetupDeps {
  settings: SetupSettings;
  /** Undefined when the cache is off. */
  cache?: SetupCache;
}

export interface SetupArgs {
  record: SessionRecord;
  workdir: string;
  guard: SessionGuard | undefined;
  signal: AbortSignal;
  /** Commits activities (progress) to the session. */
  post(activities: NewActivity[]): Promise<void>;
}

const MARKER = join('.git', 'stint-setup-done');
const MAX_CACHED_PATHS = 10_000;

/** Runs (or restores) the session's setup; returns a sessionFailed reason when it failed. */
export async function sessionSetup(deps: RunnerDeps, args: SetupArgs): Promise<string | undefined> {
  const ctx = args.record.session.sourceContext;
  if (!ctx) return undefined;
  const { workdir } = args;
  if (await lstat(join(workdir, MARKER)).catch(() => undefined)) return undefined;
  const sourceId = parseSourceName(ctx.source);
  const source = sourceId
    ? await deps.repos.directory.find(args.record.session.tenantId, sourceId)
    : undefined;
  if (!source || !sourceId) return undefined;
  const settings = deps.setup?.settings;
  let plan: SetupPlan | undefined;
  try {
    plan = await planSetup(workdir, sourceSetupOf(source), {
      tenantId: args.record.session.tenantId,
      sourceId,
      sandboxKind: deps.sandbox.kind,
      defaultTimeoutMs: settings?.timeoutMs ?? 20 * 60_000,
    });
  } catch (e) {
    return `Setup could not start: ${(e as Error).message}`;
  }
  if (!plan) return undefined;
  // Restored or run, setup writes where the change feed cannot follow.
  await dropFeed(serverGitDirFor(workdir));
  const progress = (title: string, description: string) =>
    args.post([{ originator: 'agent', content: { kind: 'progressUpdated', title, description } }]);
  const owner = { tenantId: args.record.session.tenantId, sourceId };
  const cache = plan.cache ? deps.setup?.cache : undefined;
  const key = plan.cache?.key;

  if (cache && key) {
    const started = performance.now();
    const restored = await cache.restore(owner, key, workdir);
    if (restored) {
      await markDone(workdir, restored.paths);
      const ms = Math.round(performance.now() - started);
      await progress(
        'Setup restored from the cache',
        `${restored.paths.join(', ') || 'nothing'} (${formatBytes(restored.bytes)}, ${restored.via === 'spare' ? 'a ready copy renamed into the checkout' : 'copied from the cache'}) in ${ms} ms; the setup commands did not run (cache key ${key.slice(0, 12)}, from ${describeKeyFiles(plan)}).`,
      );
      return undefined;
    }
  }

  await progress(
    plan.fromScript ? 'Running the repository setup script' : 'Running the setup commands',
    `${plan.steps.map((s) => s.label).join('\n')}\n(time limit ${formatDuration(plan.timeoutMs)})`,
  );
  const sandbox = feedsCommands(args.guard ? args.guard.setupSandbox(deps.sandbox) : deps.sandbox, workdir);
  const outcome = await runSetup({
    sandbox,
    cwd: workdir,
    plan,
    maxOutputBytes: deps.config.maxOutputBytes,
    signal: args.signal,
    onOutput: (step, text) => progress(`Setup output: ${step}`, text),
  });
  if (!outcome.ok) return outcome.reason;
  const over = await args.guard?.checkDisk();
  if (over) return over;

  let cached = '';
  let outputs: string[] = [];
  if (cache && key) {
    try {
      const paths = plan.cache?.paths ?? (await ignoredPaths(deps, args.record.session.id, workdir));
      const saved = paths.length > 0 ? await cache.save(owner, key, workdir, paths) : undefined;
      outputs = saved?.paths ?? [];
      cached = saved
        ? ` Cached ${saved.paths.length > 5 ? `${saved.paths.length} paths` : saved.paths.join(', ')} (${formatBytes(saved.bytes)}) for the next session with the same ${describeKeyFiles(plan)}.`
        : ' Nothing was cached.';
    } catch (e) {
      deps.log.warn({ err: e, session: args.record.session.id }, 'saving the setup cache failed');
      cached = ' Its output could not be cached.';
    }
  }
  await markDone(workdir, outputs);
  await progress('Setup finished', `Setup took ${(outcome.ms / 1000).toFixed(1)} s.${cached}`);
  return undefined;
}

/** What setup created that git ignores: the topmost ignored files and directories of the checkout. */
async function ignoredPaths(deps: RunnerDeps, sessionId: string, workdir: string): Promise<string[]> {
  const gitDir = deps.repos.workspaces.gitDirOf(sessionId);
  const { stdout } = await serverGit(gitDir, workdir, [
    'ls-files',
    '-z',
    '--others',
    '--ignored',
    '--exclude-standard',
    '--directory',
  ]);
  const paths = stdout
    .split('\0')
    .map((p) => p.replace(/\/+$/, ''))
    .filter((p) => p !== '' && p !== '.git' && !p.startsWith('.git/'));
  if (paths.length > MAX_CACHED_PATHS)
    throw new Error(`setup left more than ${MAX_CACHED_PATHS} ignored paths`);
  return paths;
}

function describeKeyFiles(plan: SetupPlan): string {
  const files = plan.cache?.keyFiles ?? [];
  if (files.length === 0) return 'setup (no key file found)';
  return `setup and ${files.length > 3 ? `${files.length} key files` : files.join(', ')}`;
}

/** Records that the checkout's setup is done, with the paths it put there (cached or restored). */
async function markDone(workdir: string, paths: string[]): Promise<void> {
  // No .git (not a checkout the server made): setup simply runs again next time.
  await writeFile(join(workdir, MARKER), JSON.stringify({ paths })).catch(() => undefined);
}

/**
 * Before a finished session's checkout goes back to the pool: its setup outputs are moved out in
 * one rename each and deleted in the background (the pool's reset would delete them file by file
 * while the next session waits). The reset still removes whatever else is not in the commit.
 */
export async function discardSetupOutputs(deps: RunnerDeps, sessionId: string): Promise<void> {
  const cache = deps.setup?.cache;
  if (!cache) return;
  const dir = deps.repos.workspaces.dirOf(sessionId);
  let paths: unknown;
  try {
    paths = (JSON.parse(await readFile(join(dir, MARKER), 'utf8')) as { paths?: unknown }).paths;
  } catch {
    return;
  }
  if (!Array.isArray(paths) || !paths.every((p) => typeof p === 'string')) return;
  await cache.discard(dir, paths);
}
