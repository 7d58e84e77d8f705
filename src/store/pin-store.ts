/**
 * Pins of commits in source mirrors, reference-counted: which sessions need which commit of a
 * mirror (their base), so the mirror keeps one ref per pinned commit and the janitor finds the
 * commits nobody needs any more with one query. A session's pins go with the session.
 */
export interface PinStore {
  /** Records that the session needs the commit in the mirror (idempotent). */
  addPin(mirror: string, commitId: string, sessionId: string): Promise<void>;
  /** Records many pins at once (sessions that no longer exist are skipped); for moving old refs in. */
  addPins(mirror: string, pins: readonly { commitId: string; sessionId: string }[]): Promise<void>;
  /** Commits of the mirror that no session needs any more (at most `limit`). */
  unreferencedPins(mirror: string, limit: number): Promise<string[]>;
  /**
   * Forgets a commit if still no session needs it. False when one pinned it again meanwhile: its
   * ref must stay (be written again).
   */
  dropPin(mirror: string, commitId: string): Promise<boolean>;
  /** Sessions needing each pinned commit of the mirror, for tests and benchmarks. */
  pinCounts(mirror: string): Promise<Record<string, number>>;
}
