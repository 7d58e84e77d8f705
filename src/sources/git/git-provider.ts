/**
 * Plain git sources: any URL or path git accepts. Credentials come from the URL's userinfo (moved
 * into git's environment) and are never shown. The "review" of a pushed branch is the session's
 * own page in Stint's web UI, which shows the branch's diff.
 */
import type { PullRequest } from '../../domain/activity.ts';
import type { SourceRecord } from '../../store/store.ts';
import { type GitRemote, remoteFromUrl } from '../../workspace/git-auth.ts';
import type { ReviewRequest, SourceProvider } from '../provider.ts';

export class GitProvider implements SourceProvider {
  readonly specificationVersion = 'v1' as const;
  readonly kind = 'git' as const;

  async remote(record: SourceRecord): Promise<GitRemote> {
    return remoteFromUrl(record.gitUrl);
  }

  async openReview(req: ReviewRequest): Promise<PullRequest> {
    return {
      url: req.sessionUrl,
      title: req.title,
      description: req.body,
      baseRef: req.baseRef,
      headRef: req.headRef,
    };
  }
}
