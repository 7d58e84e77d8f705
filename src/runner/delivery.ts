/**
 * AUTO_CREATE_PR: the session's changes become a commit on `sourceContext.workingBranch` (default
 * `<prefix><session id>`), pushed to the source, and the host's review (a GitHub or Gitea pull
 * request, a GitLab merge request) describes it; plain git has no review, only the pushed branch.
 * A follow-up adds a commit to the same branch and updates the same review. Failing to publish never
 * loses the changes: the change set stays in the outputs and an activity says what went wrong.
 */
import type { NewActivity, PullRequest, PushedBranch } from '../domain/activity.ts';
import type { SessionRecord } from '../store/store.ts';
import { publishSessionBranch } from '../workspace/mirror/session-branch.ts';
import { redactSecrets } from '../workspace/redact.ts';
import type { RunnerDeps } from './runner-deps.ts';
import { sessionSource } from './session-workspace.ts';

export interface DeliveryInput {
  record: SessionRecord;
  baseCommitId: string;
  patch: string;
  commitMessage: string;
  /** Pull request body. */
  body: string;
}

export interface Delivery {
  /** The host's review of the branch; none on plain git. */
  pullRequest?: PullRequest;
  /** The pushed branch (goes beside the change set in the outputs). */
  branch?: PushedBranch;
  /** Publishing failed: what was published before still stands. */
  failed?: boolean;
  activities: NewActivity[];
}

/** Whether this session publishes its changes. */
export function wantsDelivery(record: SessionRecord, patch: string): boolean {
  const { session } = record;
  if (session.automationMode !== 'AUTO_CREATE_PR' || !session.sourceContext) return false;
  // No changes: only an already published branch needs updating (the agent undid its changes).
  return patch !== '' || session.outputs.some((o) => 'pullRequest' in o || ('branch' in o && o.branch));
}

export async function deliver(deps: RunnerDeps, input: DeliveryInput): Promise<Delivery> {
  const { session } = input.record;
  // sourceContext.workingBranch when the client named one (validated at create), else stint/<id>.
  const headRef = session.sourceContext?.workingBranch ?? `${deps.repos.config.branchPrefix}${session.id}`;
  let step = 'push the branch';
  let pushedBranch: PushedBranch | undefined;
  try {
    const source = await sessionSource(deps, input.record);
    if (!source) return { activities: [] };
    const mirror = deps.repos.workspaces.mirrors.get({
      tenantId: session.tenantId,
      sourceId: source.record.id,
      url: source.remote.url,
    });
    const branch = await publishSessionBranch({
      mirror,
      remote: source.remote,
      sessionId: session.id,
      branch: headRef,
      baseCommitId: input.baseCommitId,
      patch: input.patch,
      message: input.commitMessage,
      tempDir: deps.repos.workspaces.tempDir,
    });
    if (!branch) return { activities: [] };
    pushedBranch = { name: headRef, commitId: branch.commitId, remote: source.remote.url };
    step = `open the ${source.provider.kind === 'gitlab' ? 'merge' : 'pull'} request`;
    const pullRequest = await source.provider.openReview({
      record: source.record,
      sessionId: session.id,
      headRef,
      baseRef: source.branch,
      title: session.title,
      body: input.body,
      sessionUrl: `${deps.repos.publicUrl()}/sessions/${session.id}`,
    });
    const pushed = branch.pushed
      ? `Pushed ${branch.commitId.slice(0, 12)} to ${headRef}`
      : `${headRef} is up to date`;
    const title = !pullRequest
      ? 'Branch pushed'
      : source.provider.kind === 'gitlab'
        ? 'Merge request ready'
        : 'Pull request ready';
    const description = pullRequest ? `${pushed}.\n${pullRequest.url}` : `${pushed}.`;
    return {
      ...(pullRequest ? { pullRequest } : {}),
      branch: pushedBranch,
      activities: [{ originator: 'system', content: { kind: 'progressUpdated', title, description } }],
    };
  } catch (e) {
    deps.log.warn({ err: e, session: session.id }, 'publishing the changes failed');
    const reason = redactSecrets((e as Error)?.message ?? String(e));
    return {
      failed: true,
      // Pushed, but the review could not be opened: the branch still holds this change set.
      ...(pushedBranch ? { branch: pushedBranch } : {}),
      activities: [
        {
          originator: 'system',
          content: {
            kind: 'progressUpdated',
            title: 'Could not publish the changes',
            description: `Could not ${step} (${headRef}): ${reason}\nThe change set is still in the session's outputs.`,
          },
        },
      ],
    };
  }
}
