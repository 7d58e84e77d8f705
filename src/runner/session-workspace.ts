/**
 * The runner's side of workspaces: which source and branch a session works on, its checkout (kept
 * across restarts; rebuilt from its last change set when a finished session is reopened after its
 * checkout was removed), and the checkout's removal once the session is over.
 */
import type { ChangeSet } from '../domain/activity.ts';
import { invalidArgument } from '../domain/errors.ts';
import { parseSourceName } from '../domain/names.ts';
import { isTerminal } from '../domain/states.ts';
import type { SourceProvider } from '../sources/provider.ts';
import type { SessionRecord, SourceRecord } from '../store/store.ts';
import type { GitRemote } from '../workspace/git-auth.ts';
import { isSafeRefName } from '../workspace/refs.ts';
import type { RunnerDeps } from './runner-deps.ts';
import { discardSetupOutputs } from './session-setup.ts';

export interface SessionSource {
  record: SourceRecord;
  provider: SourceProvider;
  remote: GitRemote;
  /** The starting branch. */
  branch: string;
}

/** The session's source, provider and starting branch; undefined for a repoless session. */
export async function sessionSource(
  deps: RunnerDeps,
  record: SessionRecord,
): Promise<SessionSource | undefined> {
  const ctx = record.session.sourceContext;
  if (!ctx) return undefined;
  const sourceId = parseSourceName(ctx.source);
  const source = sourceId ? await deps.repos.directory.find(record.session.tenantId, sourceId) : undefined;
  if (!source) throw new Error(`source ${ctx.source} is no longer available`);
  const provider = deps.repos.directory.providerFor(source);
  const branch =
    ctx.startingBranch ?? source.defaultBranch ?? (await deps.repos.directory.branches(source)).defaultBranch;
  if (branch === undefined)
    throw new Error(`source ${ctx.source} has no default branch; name a starting branch`);
  // Checked at create too; a source's default branch comes from its remote, so check again here.
  if (!isSafeRefName(branch))
    throw invalidArgument(`refusing the unsafe branch name ${JSON.stringify(branch)}`);
  return { record: source, provider, remote: await provider.remote(source), branch };
}

/**
 * Prepares the session's checkout; returns its base commit. The store's record of the base (run
 * state) wins over any checkout on disk; `base` asks for a given commit (rebuilding a snapshot).
 */
export async function prepareSessionWorkspace(
  deps: RunnerDeps,
  record: SessionRecord,
  base?: string,
): Promise<string> {
  const { workspaces } = deps.repos;
  const { session } = record;
  const started = performance.now();
  const previous = lastChangeSet(record);
  const recorded = base ?? record.work.baseCommitId;
  const baseCommitId = recorded ?? previous?.gitPatch.baseCommitId;
  const source = await sessionSource(deps, record);
  const prepared = await workspaces.prepare({
    sessionId: session.id,
    ...(source
      ? {
          source: {
            identity: { tenantId: session.tenantId, sourceId: source.record.id, url: source.remote.url },
            remote: source.remote,
            branch: source.branch,
            ...(baseCommitId !== undefined ? { baseCommitId } : {}),
          },
        }
      : {}),
    ...(recorded !== undefined ? { expectedBase: recorded } : {}),
    ...(previous ? { restorePatch: previous.gitPatch.unidiffPatch } : {}),
  });
  if (prepared.via !== 'existing') {
    const ms = Math.round(performance.now() - started);
    deps.log.debug({ session: session.id, via: prepared.via, ms }, 'workspace ready');
  }
  return prepared.baseCommitId;
}

/**
 * Gives the checkout of a finished session back to its source's pool (or removes it) unless the
 * retention setting keeps it for a while.
 */
export async function releaseSessionWorkspace(deps: RunnerDeps, record: SessionRecord): Promise<void> {
  if (!isTerminal(record.session.state) || record.work.wantsWork) return;
  if (deps.repos.config.retentionMs > 0) {
    // The janitor removes it when retention is over; meanwhile nobody should wait for it.
    deps.repos.workspaces.kept(record.session.id);
    return;
  }
  try {
    await discardSetupOutputs(deps, record.session.id);
    const outcome = await deps.repos.workspaces.release(record.session.id);
    deps.log.debug({ session: record.session.id, outcome }, 'workspace released');
  } catch (e) {
    deps.log.warn({ err: e, session: record.session.id }, 'removing a workspace failed');
  }
}

// A reopened session continues from its last change set (its checkout may be gone by then).
function lastChangeSet(record: SessionRecord): ChangeSet | undefined {
  for (const o of record.session.outputs) if ('changeSet' in o) return o.changeSet;
  return undefined;
}
