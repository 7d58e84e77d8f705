/**
 * 2. Listing at scale: a store with 1,000,000 sessions and 10,000,000 activities,
 * generated directly in SQLite; first and deep (page 10,000) pages of GET sessions
 * and of activities with a create_time filter.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { PageTokens } from '../src/api/paging.ts';
import { formatTimestamp } from '../src/domain/time.ts';
import { openSqliteStore } from '../src/store/sqlite/open.ts';
import { makeTempDir, startServer } from '../test/support/server.ts';
import { log, percentile, round, SERVER_ENTRY, type Section } from './lib.ts';

export interface ListingOptions {
  sessions: number;
  activities: number;
  samples: number;
}

const BASE_TIME = 1_780_000_000_000_000;

async function generate(dataDir: string, o: ListingOptions): Promise<{ deepId: string; deepCount: number }> {
  // Create the schema through the real store, then bulk-load with one prepared statement per table.
  const store = await openSqliteStore({ dataDir });
  await store.close();
  const db = new Database(join(dataDir, 'stint.db'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = OFF');
  const insSession =
    db.prepare(`insert into sessions (id, tenant_id, prompt, title, require_plan_approval, automation_mode,
    state, archived, outputs, create_time, update_time, wants_work, last_seq, activity_count, last_activity_time)
    values (?, 'default', 'generated prompt', 'generated', 0, 'AUTOMATION_MODE_UNSPECIFIED', 'COMPLETED', 0, '[]', ?, ?, 0, 0, ?, ?)`);
  const insActivity = db.prepare(
    `insert into activities (session_id, seq, id, create_time, originator, kind, body) values (?, ?, ?, ?, 'agent', 'agentMessaged', ?)`,
  );
  const body = JSON.stringify({
    v: 1,
    content: { kind: 'agentMessaged', agentMessage: 'generated activity' },
    artifacts: [],
  });
  const deepId = '1000000000000000000';
  const deepCount = Math.min(o.activities, Math.max(1, Math.floor(o.activities / 10)));
  const perOther = Math.floor((o.activities - deepCount) / Math.max(1, o.sessions - 1));
  const batch = 20_000;
  for (let start = 0; start < o.sessions; start += batch) {
    db.transaction(() => {
      for (let i = start; i < Math.min(o.sessions, start + batch); i++) {
        const id = i === 0 ? deepId : String(2_000_000_000_000_000_000n + BigInt(i));
        const t = BASE_TIME + i * 1000;
        const n = i === 0 ? deepCount : perOther;
        insSession.run(id, t, t, n, t + n * 1000);
        if (i !== 0) for (let s = 1; s <= n; s++) insActivity.run(id, s, `a${i}x${s}`, t + s * 1000, body);
      }
    })();
    if (start % 200_000 === 0) log(`listing: generated ${start} sessions`);
  }
  for (let start = 1; start <= deepCount; start += batch * 5) {
    db.transaction(() => {
      for (let s = start; s < Math.min(deepCount + 1, start + batch * 5); s++) {
        insActivity.run(deepId, s, `d${s}`, BASE_TIME + s * 1000, body);
      }
    })();
  }
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
  return { deepId, deepCount };
}

async function sample(
  url: string,
  key: string,
  n: number,
): Promise<{ p50: number; p99: number; items: number }> {
  const times: number[] = [];
  let items = 0;
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    const res = await fetch(url, { headers: { 'x-goog-api-key': key } });
    const json = (await res.json()) as { sessions?: unknown[]; activities?: unknown[] };
    times.push(performance.now() - t0);
    if (res.status !== 200) throw new Error(`GET ${url}: ${res.status} ${JSON.stringify(json)}`);
    items = (json.sessions ?? json.activities ?? []).length;
  }
  return { p50: percentile(times, 50), p99: percentile(times, 99), items };
}

export async function benchListing(o: ListingOptions): Promise<Section> {
  const dataDir = makeTempDir('stint-bench-listing-');
  try {
    const t0 = performance.now();
    const { deepId, deepCount } = await generate(dataDir, o);
    const genSeconds = (performance.now() - t0) / 1000;
    log(
      `listing: generated ${o.sessions} sessions / ${o.activities} activities in ${genSeconds.toFixed(0)} s`,
    );
    const secretDb = new Database(join(dataDir, 'stint.db'));
    const server = await startServer({
      entry: SERVER_ENTRY,
      dataDir,
      keepDataDir: true,
      env: { STINT_LOG_LEVEL: 'error' },
    });
    try {
      const secret = (
        secretDb.prepare("select value from meta where key = 'page_token_secret'").get() as { value: string }
      ).value;
      secretDb.close();
      const tokens = new PageTokens(secret);
      const deepPage = 10_000;
      // sessions: newest first; page 10,000 of 30 starts after position 299,999
      const pos = Math.min(o.sessions - 1, deepPage * 30 - 1);
      const i = o.sessions - 1 - pos;
      const sid = i === 0 ? deepId : String(2_000_000_000_000_000_000n + BigInt(i));
      const sToken = tokens.encode(`sessions|default|${JSON.stringify({ archived: false })}`, {
        t: BASE_TIME + i * 1000,
        id: sid,
      });
      const after = BASE_TIME + 100 * 1000;
      const filter = encodeURIComponent(`create_time>"${formatTimestamp(after)}"`);
      const aSeq = Math.min(deepCount - 50, 100 + deepPage * 50);
      const aToken = tokens.encode(`activities|${deepId}|${after}`, aSeq);
      const base = server.baseUrl;
      await sample(`${base}/sessions?pageSize=30`, server.apiKey, 20);
      const s1 = await sample(`${base}/sessions?pageSize=30`, server.apiKey, o.samples);
      const sDeep = await sample(
        `${base}/sessions?pageSize=30&pageToken=${encodeURIComponent(sToken)}`,
        server.apiKey,
        o.samples,
      );
      const a1 = await sample(
        `${base}/sessions/${deepId}/activities?filter=${filter}`,
        server.apiKey,
        o.samples,
      );
      const aDeep = await sample(
        `${base}/sessions/${deepId}/activities?filter=${filter}&pageToken=${encodeURIComponent(aToken)}`,
        server.apiKey,
        o.samples,
      );
      const fig = (name: string, r: { p99: number }, first?: { p99: number }) => ({
        name,
        value: round(r.p99, 2),
        unit: 'ms p99',
        ...(first
          ? { baselineName: 'page 1', baseline: round(first.p99, 2), ratio: round(r.p99 / first.p99, 2) }
          : {}),
        target: '< 10 ms, flat from page 1 to page 10,000',
        met: r.p99 < 10 && (!first || r.p99 / first.p99 < 2),
      });
      return {
        title: `Listing at scale (${o.sessions.toLocaleString('en')} sessions, ${o.activities.toLocaleString('en')} activities)`,
        figures: [
          fig('GET sessions, page 1', s1),
          fig('GET sessions, page 10,000', sDeep, s1),
          fig('GET activities (create_time filter), page 1', a1),
          fig('GET activities (create_time filter), page 10,000', aDeep, a1),
        ],
        notes: [
          `Sequential requests over HTTP on loopback, ${o.samples} samples each; p50s: ${[s1, sDeep, a1, aDeep].map((r) => round(r.p50, 2)).join(', ')} ms.`,
          `Generated directly in SQLite in ${genSeconds.toFixed(0)} s; one session holds ${deepCount.toLocaleString('en')} activities, the rest are spread evenly. Page tokens are keyset cursors, so a deep page costs an index seek, not an offset scan.`,
        ],
      };
    } finally {
      await server.cleanup();
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}
