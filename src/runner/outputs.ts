/**
 * Turns a finished checkout into the session's outputs and closing activities: the change set
 * (a patch `git apply` accepts on the base commit: binary, new, deleted and renamed files included,
 * with a suggested commit message) and, in AUTO_CREATE_PR mode, the pushed branch and its pull
 * request. Outputs list the change set first, then the pull request.
 */
import type { Artifact, ChangeSet, NewActivity, Output, PullRequest } from '../domain/activity.ts';
import type { SessionRecord } from '../store/store.ts';
import { computeChangeSet } from '../workspace/patch.ts';
import { reviewBody, suggestedCommitMessage } from './change-summary.ts';
import { deliver, wantsDelivery } from './delivery.ts';
import { readRunState } from './run-state.ts';
import type { RunnerDeps } from './runner-deps.ts';

export interface FinalChanges {
  outputs: Output[];
  activities: NewActivity[];
}

export interface FinishInput {
  record: SessionRecord;
  workdir: string;
  baseCommitId: string;
  /** The agent's commit message (default: the session title). */
  commitMessage?: string;
  /** The agent's closing summary, for the pull request. */
  summary?: string;
}

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
  let pullRequest: PullRequest | undefined;
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

  if (wantsDelivery(input.record, diff.unidiffPatch)) {
    const delivery = await deliver(deps, {
      record: input.record,
      baseCommitId: input.baseCommitId,
      patch: diff.unidiffPatch,
      commitMessage: message,
      body: reviewBody({
        prompt: session.prompt,
        plan: readRunState(input.record.work.agentState).plan,
        summary: input.summary,
        files: diff.files,
        sessionUrl: `${deps.repos.publicUrl()}/sessions/${session.id}`,
      }),
    });
    activities.push(...delivery.activities);
    // Publishing failed this time: the pull request opened before still exists.
    pullRequest = delivery.pullRequest ?? previousPullRequest(input.record);
  }
  // The change set first: clients (and older Stint versions) read outputs[0].changeSet.
  if (changeSet) outputs.push({ changeSet });
  if (pullRequest) outputs.push({ pullRequest });
  return { outputs, activities };
}

function previousPullRequest(record: SessionRecord): PullRequest | undefined {
  for (const o of record.session.outputs) if ('pullRequest' in o) return o.pullRequest;
  return undefined;
}
