/**
 * The worker node `stint worker` (src/cli/worker.ts) starts: sessions from a PostgreSQL store shared
 * with `stint serve --no-worker` and other workers, without HTTP. Stopping drains it: it stops
 * claiming, interrupts running agents at their next safe point, releases its leases (other workers
 * pick the sessions up at once) and closes its connections.
 */
import { type Logger, pino } from 'pino';
import { ConfigError, type StintConfig } from '../config.ts';
import { type PostgresCoordination, startPostgresCoordination } from '../queue/postgres/index.ts';
import { Worker } from '../runner/worker.ts';
import { logScrubber } from '../security/redactor.ts';
import { setupSecurity } from '../security/setup.ts';
import { loadAgent, runnerDeps } from '../server.ts';
import { SessionEvents } from '../services/events.ts';
import { openStore } from '../store/index.ts';
import type { Store } from '../store/store.ts';

export interface WorkerNode {
  worker: Worker;
  store: Store;
  log: Logger;
  /** To tell the operator at start (e.g. agent commands are not isolated). */
  warnings: string[];
  /** Drains: stop claiming, interrupt agents, release leases, close connections. */
  stop(): Promise<void>;
}

export async function startWorkerNode(config: Readonly<StintConfig>): Promise<WorkerNode> {
  if (!config.databaseUrl) {
    throw new ConfigError(
      'stint worker needs a shared PostgreSQL store: set STINT_DATABASE_URL=postgres://... ' +
        '(with the embedded store, `stint serve` runs sessions itself).',
    );
  }
  const log = pino(
    {
      level: config.logLevel,
      base: { pid: process.pid, role: 'worker' },
      hooks: { streamWrite: logScrubber.scrub },
    },
    pino.destination(2),
  );
  const agent = await loadAgent(config, log);
  const store = await openStore({
    dataDir: config.dataDir,
    databaseUrl: config.databaseUrl,
    onBackgroundError: (err, what) => log.warn({ err }, what),
  });
  let coordination: PostgresCoordination | undefined;
  try {
    // The same sandbox, secrets and per-session guard as `stint serve` (STINT_SECRET_KEY must be the
    // same on every process sharing the store).
    const security = await setupSecurity({ dataDir: config.dataDir, security: config.security, store, log });
    for (const warning of security.warnings) log.warn(warning);
    const events = new SessionEvents();
    let worker: Worker | undefined;
    coordination = await startPostgresCoordination({
      url: config.databaseUrl,
      store,
      events,
      log,
      leaseMs: config.leaseMs,
      backoff: config.retry,
      forwardChanges: false,
      isDriving: (id) => worker?.isDriving(id) ?? false,
    });
    const deps = runnerDeps(config, {
      store,
      agent,
      sandbox: security.sandbox,
      events,
      log,
      security: security.sessionSecurity,
    });
    worker = new Worker(deps, coordination.queue, { concurrency: config.concurrency });
    await worker.start();
    const running = worker;
    const coord = coordination;
    return {
      worker: running,
      store,
      log,
      warnings: security.warnings,
      async stop() {
        await running.stop();
        await deps.setup?.cache?.close();
        await coord.close();
        await store.close();
      },
    };
  } catch (e) {
    await coordination?.close().catch(() => {});
    await store.close().catch(() => {});
    throw e;
  }
}
