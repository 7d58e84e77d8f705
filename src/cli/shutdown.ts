import type { Logger } from 'pino';

/**
 * Stops a long-running command (serve, worker) on SIGTERM or SIGINT: `stop` once, exit 0 when it
 * finishes, exit 1 if it fails or takes longer than `forceAfterMs`.
 */
export function exitOnSignal(
  log: Logger,
  what: string,
  stop: () => Promise<void>,
  forceAfterMs: number,
): void {
  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    log.info({ signal }, what);
    setTimeout(() => process.exit(1), forceAfterMs).unref();
    try {
      await stop();
      process.exit(0);
    } catch (e) {
      log.error({ err: e }, 'shutdown failed');
      process.exit(1);
    }
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}
