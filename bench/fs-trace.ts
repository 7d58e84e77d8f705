/**
 * Preload for profiling (`NODE_OPTIONS="--import ./bench/fs-trace.ts" STINT_FS_TRACE=file`): counts
 * the server's file-system calls by function and by the Stint function that made them, and writes
 * the counts as JSON to `file.PID` at exit (helper processes inherit the preload), so a run can see
 * which of a session's fs calls are worth removing. Wraps node:fs and node:fs/promises before the
 * server's modules import them. Not loaded unless asked for.
 */
import fs, { writeFileSync } from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';

const out = process.env.STINT_FS_TRACE;
if (out) {
  const counts = new Map<string, number>();
  Error.stackTraceLimit = 40;
  const caller = (): string => {
    const stack = new Error().stack?.split('\n') ?? [];
    for (const line of stack.slice(3)) {
      const m = /(?:at (\S+) \()?[^(]*\/((?:src|dist)\/[^:)]+):(\d+)/.exec(line);
      if (m) return `${m[2]}:${m[3]} ${m[1] ?? ''}`;
    }
    return '?';
  };
  const wrap = (obj: Record<string, unknown>, prefix: string) => {
    for (const [name, fn] of Object.entries(obj)) {
      if (typeof fn !== 'function' || /^[A-Z]/.test(name) || name.startsWith('_') || name === 'watch')
        continue;
      obj[name] = function (this: unknown, ...args: unknown[]) {
        const key = `${prefix}${name} ${caller()}`;
        counts.set(key, (counts.get(key) ?? 0) + 1);
        return (fn as (...a: unknown[]) => unknown).apply(this, args);
      };
    }
  };
  // The unwrapped one: syncBuiltinESMExports() below points the named import at the wrapper too.
  const real = writeFileSync;
  wrap(fs.promises as unknown as Record<string, unknown>, 'p.');
  wrap(fs as unknown as Record<string, unknown>, '');
  syncBuiltinESMExports();
  process.on('exit', () => {
    real(
      `${out}.${process.pid}`,
      JSON.stringify(
        [...counts].sort((a, b) => b[1] - a[1]),
        null,
        0,
      ),
    );
  });
}
