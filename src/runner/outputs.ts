/** Turns a finished checkout into the session's changeSet output and activities. */
import type { Artifact, ChangeSet, NewActivity, Output } from '../domain/activity.ts';
import type { Session } from '../domain/session.ts';
import { computeChangeSet } from '../workspace/patch.ts';

export interface FinalChanges {
  outputs: Output[];
  activities: NewActivity[];
}

export async function collectChanges(
  session: Session,
  workdir: string,
  baseCommitId: string,
  commitMessage: string,
): Promise<FinalChanges> {
  const diff = await computeChangeSet(workdir, baseCommitId);
  if (diff.unidiffPatch === '') {
    return {
      outputs: [],
      activities: [
        {
          originator: 'agent',
          content: {
            kind: 'progressUpdated',
            title: 'No changes',
            description: 'The checkout is unchanged.',
          },
        },
      ],
    };
  }
  const changeSet: ChangeSet = {
    source: session.sourceContext?.source ?? '',
    gitPatch: { baseCommitId, unidiffPatch: diff.unidiffPatch, suggestedCommitMessage: commitMessage },
  };
  const added = diff.files.reduce((n, f) => n + f.additions, 0);
  const removed = diff.files.reduce((n, f) => n + f.deletions, 0);
  const artifact: Artifact = { changeSet };
  return {
    outputs: [{ changeSet }],
    activities: [
      {
        originator: 'agent',
        content: {
          kind: 'progressUpdated',
          title: 'Changes ready',
          description: `${diff.files.length} file${diff.files.length === 1 ? '' : 's'} changed, +${added} −${removed}`,
        },
        artifacts: [artifact],
      },
    ],
  };
}
