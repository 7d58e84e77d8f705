/** `stint audit`: who changed what, and when (API calls with a key, and CLI changes). */
import type { Command } from 'commander';
import { formatTimestamp } from '../domain/time.ts';
import { addDataDirOption, withStore } from './store-option.ts';

export function registerAuditCommand(program: Command): void {
  addDataDirOption(
    program
      .command('audit')
      .description('Show the audit log of state-changing API calls and CLI changes, newest first.')
      .option('--tenant <tenant>', 'only this tenant')
      .option('--limit <n>', 'entries to show', '100')
      .option('--json', 'one JSON object per line'),
  ).action(async (opts: { tenant?: string; limit: string; json?: boolean; dataDir?: string }) => {
    const limit = Number(opts.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > 100_000) throw new Error('--limit must be 1-100000');
    await withStore(opts, async (store) => {
      const rows = await store.security.listAudit({
        limit,
        ...(opts.tenant ? { tenantId: opts.tenant } : {}),
      });
      for (const r of rows) {
        if (opts.json) {
          process.stdout.write(`${JSON.stringify({ ...r, time: formatTimestamp(r.time) })}\n`);
          continue;
        }
        const who = r.actor === 'cli' ? 'cli' : `key ${r.keyId}`;
        const status = r.actor === 'cli' ? '' : `\t${r.status}`;
        process.stdout.write(
          `${formatTimestamp(r.time)}\t${r.tenantId ?? '-'}\t${who}\t${r.method} ${r.path}${status}\n`,
        );
      }
    });
  });
}
