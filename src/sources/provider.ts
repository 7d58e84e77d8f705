/**
 * The SourceProvider interface: what Stint needs from the host of a repository. Plain git (any URL
 * or path git accepts), GitHub, GitLab and Gitea/Forgejo implement it. Credentials stay inside the provider: callers get a
 * GitRemote whose URL carries none, with the credentials in the environment git runs with.
 */
import type { PullRequest } from '../domain/activity.ts';
import type { SourceRecord } from '../store/store.ts';
import type { GitRemote } from '../workspace/git-auth.ts';
import type { RemoteFailure } from './remote-failure.ts';

export interface ReviewRequest {
  record: SourceRecord;
  sessionId: string;
  /** The pushed branch. */
  headRef: string;
  /** The branch the session started from. */
  baseRef: string;
  title: string;
  body: string;
  /** The session's page in Stint's web UI. */
  sessionUrl: string;
}

export interface SourceProvider {
  readonly specificationVersion: 'v1';
  readonly kind: SourceKind;
  /** How git reaches the source. */
  remote(record: SourceRecord): Promise<GitRemote>;
  /**
   * Opens the review (pull or merge request) of a pushed branch, or updates the one already open
   * for it (a follow-up, or a retry after a crash), and describes it. Undefined when the host has
   * no reviews (plain git): the pushed branch is then the whole result.
   */
  openReview(req: ReviewRequest): Promise<PullRequest | undefined>;
  /** The repository's branches from the host's API (without it: read with `git ls-remote`). */
  branches?(record: SourceRecord): Promise<RepoBranches>;
}

export type SourceKind = 'git' | 'github' | 'gitlab' | 'gitea';

export interface RepoBranches {
  branches: string[];
  defaultBranch?: string;
  /** Set when the remote could not be read (and why): the empty list then proves nothing. */
  unreadable?: RemoteFailure;
}
