/**
 * The SourceProvider interface: what Stint needs from the host of a repository. Plain git (any URL
 * or path git accepts) and GitHub implement it. Credentials stay inside the provider: callers get a
 * GitRemote whose URL carries none, with the credentials in the environment git runs with.
 */
import type { PullRequest } from '../domain/activity.ts';
import type { SourceRecord } from '../store/store.ts';
import type { GitRemote } from '../workspace/git-auth.ts';

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
  readonly kind: 'git' | 'github';
  /** How git reaches the source. */
  remote(record: SourceRecord): Promise<GitRemote>;
  /**
   * Opens the review of a pushed branch, or updates the one already open for it (a follow-up, or a
   * retry after a crash), and describes it.
   */
  openReview(req: ReviewRequest): Promise<PullRequest>;
}

export interface RepoBranches {
  branches: string[];
  defaultBranch?: string;
  /** Set when the remote could not be read: the empty list then proves nothing. */
  unreadable?: string;
}
