/**
 * Store errors after which the same call may well succeed shortly: the database is restarting,
 * failing over, unreachable or out of connections. A worker meeting one leaves the session to be
 * resumed (from its last committed step) instead of failing it.
 */
const PG_CODES = new Set([
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now
  '53300', // too_many_connections
  '40001', // serialization_failure
  '40P01', // deadlock_detected
]);
const NET_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'EAI_AGAIN']);
const MESSAGES =
  /connection terminated|connection timeout|terminating connection|client has encountered a connection error/i;

export function isTransientStoreError(e: unknown): boolean {
  if (typeof e !== 'object' || e === null) return false;
  const { code, message } = e as { code?: unknown; message?: unknown };
  if (typeof code === 'string') {
    if (code.startsWith('08') || PG_CODES.has(code) || NET_CODES.has(code)) return true;
    if (code === 'SQLITE_BUSY') return true;
  }
  return typeof message === 'string' && MESSAGES.test(message);
}
