/**
 * Plain git sources: any URL or path git accepts. Credentials come from the URL's userinfo (moved
 * into git's environment) and are never shown. Plain git has no reviews: the pushed branch (in the
 * session's outputs, beside the change set) is the whole result, and no pull request is claimed.
 */
import type { SourceRecord } from '../../store/store.ts';
import { type GitRemote, remoteFromUrl } from '../../workspace/git-auth.ts';
import type { ReviewRequest, SourceProvider } from '../provider.ts';

export class GitProvider implements SourceProvider {
  readonly specificationVersion = 'v1' as const;
  readonly kind = 'git' as const;

  async remote(record: SourceRecord): Promise<GitRemote> {
    return remoteFromUrl(record.gitUrl);
  }

  async openReview(_req: ReviewRequest): Promise<undefined> {
    return undefined;
  }
}
