/** Counts for metrics, read at scrape time. */
export interface StatsStore {
  /** Sessions that want a worker and have no live lease. */
  queueDepth(): Promise<number>;
  /** Sessions leased to a worker now. */
  leasedSessions(): Promise<number>;
}
