/**
 * Turns a finished checkout into the session's outputs and closing activities: the change set
 * (a patch `git apply` accepts on the base commit: binary, new, deleted and renamed files included,
 * with a suggested commit message) and, in AUTO_CREATE_PR mode, the pushed branch (Stint's `branch`
 * member beside the change set) and the host's pull/merge request, if the host has reviews. Outputs
 * list the change set first, then the pull request.
 *
 * Two steps, so that nothing leaves the machine before the session's state and lease are checked:
 * `collectChanges` only reads the checkout (its result is committed with the agent's `done`,
 * together with the delivery it leaves pending); `deliverPending` then publishes, idempotently, and
 * its result is committed by a second transaction.
 */
import type { Artifact, ChangeSet, NewActivity, Output, PullRequest } from '../domain/activity.ts';
import type { PendingDelivery } from '../domain/session.ts';
import type { SessionRecord } from '../store/store.ts';
import { computeChangeSet } from '../workspace/patch.ts';
import { reviewBody, suggestedCommitMessage } from './change-summary.ts';
import { deliver, wantsDelivery } from './delivery.ts';
import type { RunnerDeps } from './runner-deps.ts';

export interface FinalChanges {
  outputs: Output[];
  activities: NewActivity[];
  /** AUTO_CREATE_PR: what to publish once the `done` commit is in. */
  delivery?: Pick<PendingDelivery, 'baseCommitId' | 'commitMessage' | 'body'>;
}

export interface FinishInput {
  record: SessionRecord;
  workdir: string;
  baseCommitId: string;
  /** The agent's commit message (default: the session title). */
  commitMessage?: string;
  /** The agent's closing summary, for the pull request. */
  summary?: string;
  /** The session's secrets: nothing holding one is published (see secretInPatch). */
  secrets?: SecretCheck;
}

export interface SecretCheck {
  redact(text: string): string;
  holdsSecret(text: string): boolean;
}

/** The change set and its activity; no side effect outside the checkout. */
export async function collectChanges(deps: RunnerDeps, input: FinishInput): Promise<FinalChanges> {
  const { session } = input.record;
  const diff = await computeChangeSet(input.workdir, input.baseCommitId, {
    tempDir: deps.repos.workspaces.tempDir,
    serverGitDir: deps.repos.workspaces.gitDirOf(session.id),
  });
  const message = suggestedCommitMessage(input.commitMessage ?? session.title, diff.files);
  const activities: NewActivity[] = [];
  const outputs: Output[] = [];
  let changeSet: ChangeSet | undefined;
  if (diff.unidiffPatch === '') {
    activities.push({
      originator: 'agent',
      content: { kind: 'progressUpdated', title: 'No changes', description: 'The checkout is unchanged.' },
    });
  } else {
    changeSet = {
      source: session.sourceContext?.source ?? '',
      gitPatch: {
        baseCommitId: input.baseCommitId,
        unidiffPatch: diff.unidiffPatch,
        suggestedCommitMessage: message,
      },
    };
    const added = diff.files.reduce((n, f) => n + f.additions, 0);
    const removed = diff.files.reduce((n, f) => n + f.deletions, 0);
    const artifact: Artifact = { changeSet };
    activities.push({
      originator: 'agent',
      content: {
        kind: 'progressUpdated',
        title: 'Changes ready',
        description: `${diff.files.length} file${diff.files.length === 1 ? '' : 's'} changed, +${added} −${removed}`,
      },
      artifacts: [artifact],
    });
  }
  // The change set first: clients (and older Stint versions) read outputs[0].changeSet.
  if (changeSet) outputs.push({ changeSet });
  // Until the new delivery is recorded, the pull request opened before stays in the outputs.
  const previous = previousPullRequest(input.record);
  if (previous) outputs.push({ pullRequest: previous });
  if (!wantsDelivery(input.record, diff.unidiffPatch)) return { outputs, activities };
  // A patch holding a secret is never published (see secretInPatch): no delivery is left pending.
  const secrets = input.secrets;
  if (secrets?.holdsSecret(diff.unidiffPatch)) {
    activities.push(secretInPatch());
    return { outputs, activities };
  }
  // The patch holds no secret, so the stored patch (which deliverPending pushes) is the computed
  // one, byte for byte; the message and the pull request body leave redacted, as the outputs are.
  const redact = secrets ? (t: string) => secrets.redact(t) : (t: string) => t;
  const delivery = {
    baseCommitId: input.baseCommitId,
    commitMessage: redact(message),
    body: redact(
      reviewBody({
        prompt: session.prompt,
        plan: input.record.work.plan,
        summary: input.summary,
        files: diff.files,
        sessionUrl: `${deps.repos.publicUrl()}/sessions/${session.id}`,
      }),
    ),
  };
  return { outputs, activities, delivery };
}

/**
 * Publishes what the `done` commit left pending (the change set recorded in the outputs) and returns
 * the outputs and activities to record. Safe to run again after a crash: the branch push finds its
 * earlier commit (by its session trailer) and the provider finds the pull request already open.
 */
export async function deliverPending(
  deps: RunnerDeps,
  record: SessionRecord,
  pending: PendingDelivery,
): Promise<{ outputs: Output[]; activities: NewActivity[] }> {
  const changeSet = lastChangeSet(record);
  const delivery = await deliver(deps, {
    record,
    baseCommitId: pending.baseCommitId,
    patch: changeSet?.gitPatch.unidiffPatch ?? '',
    commitMessage: pending.commitMessage,
    body: pending.body,
  });
  // Publishing failed this time: the pull request opened before still exists.
  const pullRequest = delivery.failed ? previousPullRequest(record) : delivery.pullRequest;
  const outputs: Output[] = [];
  if (changeSet) outputs.push(delivery.branch ? { changeSet, branch: delivery.branch } : { changeSet });
  if (pullRequest) outputs.push({ pullRequest });
  return { outputs, activities: delivery.activities };
}

function lastChangeSet(record: SessionRecord): ChangeSet | undefined {
  for (const o of record.session.outputs) if ('changeSet' in o) return o.changeSet;
  return undefined;
}

/**
 * The patch holds one of the session's secrets (an agent wrote it into a file): it is not pushed,
 * ever. Pushing it would hand the secret to the remote; pushing a redacted patch would publish
 * something other than what the session's outputs hold. The outputs keep the change set with the
 * secret redacted, and this activity says why nothing was published.
 */
function secretInPatch(): NewActivity {
  return {
    originator: 'system',
    content: {
      kind: 'progressUpdated',
      title: 'Could not publish the changes',
      description: `The changes were not pushed: the patch contains the value of one of the session's secrets. Remove it from the files (ask the agent with a message) and the next run publishes the changes.`,
    },
  };
}

function previousPullRequest(record: SessionRecord): PullRequest | undefined {
  for (const o of record.session.outputs) if ('pullRequest' in o) return o.pullRequest;
  return undefined;
}
