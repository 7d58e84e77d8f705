/**
 * Failures of work nobody is waiting on (the lease reaper, the database clock sync, reading a
 * source's branches), counted per process so /metrics shows them
 * (`stint_background_errors_total{what}`) instead of their being swallowed. Each caller also logs
 * the error and fails whatever depends on the result.
 */
export type BackgroundWork = 'lease_reaper' | 'clock_sync' | 'branch_listing';

const counts = new Map<BackgroundWork, number>();

export const backgroundFaults = {
  record(what: BackgroundWork): void {
    counts.set(what, (counts.get(what) ?? 0) + 1);
  },
  count(what: BackgroundWork): number {
    return counts.get(what) ?? 0;
  },
  all(): { what: BackgroundWork; count: number }[] {
    return [...counts].map(([what, count]) => ({ what, count }));
  },
};
