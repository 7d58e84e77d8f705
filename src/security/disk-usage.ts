/** Disk space a directory tree takes (allocated blocks), without following symlinks. */
import { lstat, opendir } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Bytes allocated under `dir`, counting stops early once `stopAbove` is exceeded (the result is then
 * only known to be larger). Entries that vanish while walking are skipped.
 */
export async function diskUsage(dir: string, stopAbove = Number.POSITIVE_INFINITY): Promise<number> {
  let total = 0;
  const stack = [dir];
  while (stack.length > 0) {
    const current = stack.pop()!;
    const st = await lstat(current).catch(() => undefined);
    if (!st) continue;
    total += st.blocks !== undefined ? st.blocks * 512 : st.size;
    if (total > stopAbove) return total;
    if (!st.isDirectory()) continue;
    const handle = await opendir(current).catch(() => undefined);
    if (!handle) continue;
    for await (const entry of handle) {
      const path = join(current, entry.name);
      if (entry.isDirectory()) {
        stack.push(path);
        continue;
      }
      const s = await lstat(path).catch(() => undefined);
      if (!s) continue;
      total += s.blocks !== undefined ? s.blocks * 512 : s.size;
      if (total > stopAbove) return total;
    }
  }
  return total;
}

export function formatBytes(n: number): string {
  if (n >= 1024 ** 3) return `${(n / 1024 ** 3).toFixed(1)} GiB`;
  if (n >= 1024 ** 2) return `${(n / 1024 ** 2).toFixed(1)} MiB`;
  if (n >= 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${n} B`;
}
