/**
 * Errors that used to be swallowed now surface: logged, counted in /metrics
 * (stint_background_errors_total{what}), and failing what depends on them.
 * - A source whose remote cannot be read no longer reads as "no branches, so any branch is fine":
 *   creating a session on it answers UNAVAILABLE (a host that cannot be reached: retry) or
 *   FAILED_PRECONDITION (a repository that does not exist: no retry helps), naming the source.
 * - The PostgreSQL lease reaper logs and counts a failed pass instead of ignoring it.
 * - A failed database clock sync is logged and counted; past the bound the stale offset is not used.
 */
import assert from 'node:assert/strict';
import { type AddressInfo, createServer } from 'node:net';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { StintError } from '../../src/domain/errors.ts';
import type { PgListener } from '../../src/queue/postgres/pg-listener.ts';
import { PostgresQueue } from '../../src/queue/postgres/postgres-queue.ts';
import { backgroundFaults } from '../../src/services/background-faults.ts';
import { SessionEvents } from '../../src/services/events.ts';
import { DbClock } from '../../src/store/postgres/clock.ts';
import type { Store } from '../../src/store/store.ts';
import { makeBareRepo } from '../support/git-fixtures.ts';
import { type InProcessServer, startInProcess } from '../support/in-process.ts';
import { api, makeTempDirRemovedAtExit } from '../support/server.ts';

const servers: InProcessServer[] = [];
after(async () => {
  for (const s of servers) await s.close();
});

/** A loopback port nothing listens on: bound, then closed. */
async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const { port } = srv.address() as AddressInfo;
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return port;
}

async function metric(server: InProcessServer, what: string): Promise<number> {
  const res = await fetch(`${server.origin}/metrics`, { headers: { 'x-goog-api-key': server.apiKey } });
  const text = await res.text();
  const m = new RegExp(`^stint_background_errors_total\\{what="${what}"\\} (\\d+)$`, 'm').exec(text);
  assert.match(text, /^# TYPE stint_background_errors_total counter$/m);
  return m ? Number(m[1]) : 0;
}

test('a session on a source whose remote cannot be read is refused, not accepted on any branch', async () => {
  // Quiet: the refused creations are logged (as errors) by design.
  const server = await startInProcess({ env: { STINT_LOG_LEVEL: 'fatal' } });
  servers.push(server);
  const gone = join(makeTempDirRemovedAtExit('stint-gone-'), 'no-such-repo.git');
  const good = makeBareRepo({ 'README.md': 'hi\n' });
  // Nothing listens there (a port just freed on loopback): the host cannot be reached right now.
  const down = `http://127.0.0.1:${await closedPort()}/acme/down.git`;
  for (const [id, gitUrl] of [
    ['github/acme/gone', gone],
    ['github/acme/good', good],
    ['github/acme/down', down],
  ] as const) {
    await server.stint.store.putSource({
      tenantId: 'default',
      id,
      gitUrl,
      isPrivate: false,
      config: {},
      createTime: 1,
    });
  }
  const before = await metric(server, 'branch_listing');
  const create = (source: string, startingBranch?: string) =>
    api(server, 'POST', '/sessions', {
      prompt: 'hello',
      sourceContext: {
        source: `sources/${source}`,
        ...(startingBranch ? { githubRepoContext: { startingBranch } } : {}),
      },
    });

  const anyBranch = await create('github/acme/down', 'made-up-branch');
  assert.equal(anyBranch.status, 503, JSON.stringify(anyBranch.body));
  assert.equal(anyBranch.body.error.status, 'UNAVAILABLE');
  assert.match(
    anyBranch.body.error.message,
    /cannot check that branch 'made-up-branch' exists in sources\/github\/acme\/down: its repository could not be read/,
  );
  const noBranch = await create('github/acme/down');
  assert.equal(noBranch.status, 503);
  assert.match(noBranch.body.error.message, /cannot check its default branch/);
  assert.ok((await metric(server, 'branch_listing')) > before, 'counted in /metrics');

  // A repository that is not there: the client's to fix, so 400 and no retry.
  for (const branch of ['made-up-branch', undefined]) {
    const missing = await create('github/acme/gone', branch);
    assert.equal(missing.status, 400, JSON.stringify(missing.body));
    assert.equal(missing.body.error.status, 'FAILED_PRECONDITION');
    assert.match(
      missing.body.error.message,
      /sources\/github\/acme\/gone: the git host says the repository does not exist/,
    );
  }

  // A readable remote: unknown branches are refused as before, known ones accepted.
  assert.equal((await create('github/acme/good', 'made-up-branch')).status, 400);
  assert.equal((await create('github/acme/good', 'main')).status, 200);
});

test('the lease reaper logs and counts a failed pass, and the next pass runs', async () => {
  let calls = 0;
  const store = {
    releaseExpiredLeases: async () => {
      calls++;
      if (calls === 2) throw new Error('connection terminated unexpectedly');
      return 0;
    },
  } as unknown as Store;
  const listener = { on: () => () => {}, onReconnect: () => () => {} } as unknown as PgListener;
  const warnings: unknown[][] = [];
  const queue = new PostgresQueue(store, listener, new SessionEvents(), {
    leaseMs: 3_600_000,
    log: { warn: (...args: unknown[]) => warnings.push(args) } as never,
  });
  try {
    await queue.recover(); // the first pass (at start) propagates errors; this one works
    const before = backgroundFaults.count('lease_reaper');
    await queue.reap();
    assert.equal(backgroundFaults.count('lease_reaper'), before + 1);
    assert.equal(warnings.length, 1);
    assert.match(String(warnings[0]![1]), /releasing expired leases failed/);
    await queue.reap();
    assert.equal(calls, 3);
    assert.equal(backgroundFaults.count('lease_reaper'), before + 1);
  } finally {
    await queue.close();
  }
});

test('a failed clock sync is logged and counted; past the bound the stale offset is refused', async () => {
  let now = 0;
  let failing = false;
  const errors: unknown[] = [];
  const clock = new DbClock(
    async () => {
      if (failing) throw new Error('connection refused');
      return Date.now() * 1000 + 5_000_000; // the database is 5 s ahead
    },
    { monotonicMs: () => now, maxStaleMs: 60_000, onError: (e) => errors.push(e) },
  );
  await clock.sync();
  const t = clock.now();
  assert.ok(Math.abs(t - (Date.now() * 1000 + 5_000_000)) < 2_000_000, 'the offset is applied');

  failing = true;
  const before = backgroundFaults.count('clock_sync');
  assert.equal(await clock.refresh(), false);
  assert.equal(backgroundFaults.count('clock_sync'), before + 1);
  assert.equal(errors.length, 1);
  now = 59_000;
  assert.ok(clock.now() >= t, 'within the bound the last offset still serves');
  now = 61_000;
  assert.throws(
    () => clock.now(),
    (e: unknown) =>
      e instanceof StintError && e.status === 'UNAVAILABLE' && /has not been read for 61 s/.test(e.message),
  );

  failing = false;
  assert.equal(await clock.refresh(), true);
  assert.ok(clock.now() >= t, 'a good sync makes it usable again');
  clock.stop();
});
