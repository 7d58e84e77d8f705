/**
 * `npm run bench`: runs every benchmark (bounded, loopback only) and rewrites
 * docs/benchmarks.md with each figure next to a baseline measured in the same run.
 * BENCH_SCALE (default 1) scales the generated data; BENCH_ONLY=a,b picks sections.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { benchApiOverhead } from './api-overhead.ts';
import { benchClaimCost } from './claim-cost.ts';
import { benchFirstStep, firstStepSection } from './first-step.ts';
import { log, round, type Section } from './lib.ts';
import { benchListing } from './listing.ts';
import { benchLiveDelivery } from './live-delivery.ts';
import { benchPatch } from './patch.ts';
import { benchPins } from './pins.ts';
import { benchSandboxNetwork } from './sandbox-network.ts';
import { benchSetupCache } from './setup-cache.ts';
import { benchThroughput } from './throughput.ts';
import { benchTranscriptReads } from './transcript-reads.ts';
import { benchTurnOverhead } from './turn-overhead.ts';
import { benchWorkers } from './workers.ts';

const scale = Number(process.env.BENCH_SCALE ?? '1');
const only = process.env.BENCH_ONLY?.split(',');

const benches: { key: string; run: () => Promise<Section> }[] = [
  { key: 'api', run: () => benchApiOverhead(5) },
  {
    key: 'listing',
    run: () =>
      benchListing({
        sessions: Math.round(1_000_000 * scale),
        activities: Math.round(10_000_000 * scale),
        samples: 300,
      }),
  },
  {
    key: 'throughput',
    run: () => benchThroughput({ sessions: 100, inFlight: 200, bigRepo: scale >= 1 }),
  },
  { key: 'first-step', run: async () => firstStepSection(await benchFirstStep()) },
  ...(scale >= 1
    ? [{ key: 'first-step', run: async () => firstStepSection(await benchFirstStep({ files: 50_000 })) }]
    : []),
  { key: 'patch', run: () => benchPatch({ files: scale >= 1 ? 50_000 : 5000, samples: 15 }) },
  { key: 'live', run: () => benchLiveDelivery({ subscribers: 1000, activities: 30 }) },
  { key: 'turn', run: () => benchTurnOverhead({ turns: 50 }) },
  { key: 'workers', run: () => workersSection(Math.max(20, Math.round(100 * scale))) },
  {
    key: 'pins',
    run: () =>
      benchPins({ sessions: Math.max(1000, Math.round(100_000 * scale)), commits: 1000, samples: 30 }),
  },
  {
    key: 'claim',
    run: () =>
      benchClaimCost({ small: 100, large: Math.max(1000, Math.round(10_000 * scale)), samples: 200 }),
  },
  { key: 'transcript', run: () => benchTranscriptReads({ turns: 1000, samples: 1000 }) },
  { key: 'network', run: () => benchSandboxNetwork(15) },
  { key: 'setup', run: () => benchSetupCache({ packages: 300, samples: 5 }) },
];

/** Scale-out on PostgreSQL, next to the single-node SQLite figure of this run (measured again if absent). */
async function workersSection(sessions: number): Promise<Section> {
  let single = sections.find((s) => s.title.startsWith('Session throughput'))?.figures[0]?.value;
  if (single === undefined) single = (await benchThroughput({ sessions, inFlight: 0 })).figures[0]!.value;
  const base = single;
  const { rows } = await benchWorkers({ sessions });
  return {
    title: 'Scale-out: completed scripted sessions per second on PostgreSQL',
    figures: rows.map((r) => ({
      name: `${r.workers} worker process${r.workers === 1 ? '' : 'es'} + 1 API process`,
      value: r.sessionsPerSec,
      unit: 'sessions/s',
      baselineName: 'single node, SQLite',
      baseline: base,
      ratio: round(r.sessionsPerSec / base, 2),
    })),
    notes: [
      `${sessions} sessions per measurement, the same workload as the single-node figure; each worker has its own data dir, as on separate machines. All processes share this machine's ${cpus().length} cores, so here extra workers add contention rather than capacity.`,
    ],
  };
}

// With BENCH_ONLY, the sections of the previous file that were not run again stay (marked).
function keptSections(fresh: Section[]): string[] {
  let text: string;
  try {
    text = readFileSync(join(import.meta.dirname, '..', 'docs', 'benchmarks.md'), 'utf8');
  } catch {
    return [];
  }
  const end = text.indexOf('\n## Profiling log');
  const body = end < 0 ? text : text.slice(0, end);
  const parts = body.split(/\n(?=## )/).slice(1);
  const titles = new Set(fresh.map((s) => s.title));
  return parts
    .filter((p) => !p.startsWith('## Not measured'))
    .filter(
      (p) =>
        !titles.has(
          p
            .split('\n')[0]!
            .slice(3)
            .replace(/ \(earlier run\)$/, ''),
        ),
    )
    .map((p) => {
      const [head, ...rest] = p.trimEnd().split('\n');
      return [head!.endsWith('(earlier run)') ? head : `${head} (earlier run)`, ...rest].join('\n');
    });
}

function render(sections: Section[], failures: string[]): string {
  const cpu = cpus()[0]?.model ?? 'unknown';
  const lines = [
    '# Benchmarks',
    '',
    `Written by \`npm run bench\` on ${new Date().toISOString()}. Every figure sits next to a baseline measured in the same run on the same machine.`,
    '',
    `Machine: ${cpus().length} × ${cpu}, ${(totalmem() / 1024 ** 3).toFixed(0)} GiB RAM, Node ${process.version}, ${process.platform}/${process.arch}. Scale: ${scale}.`,
    '',
  ];
  const missed = sections.flatMap((s) => s.figures.filter((f) => f.met === false).map((f) => ({ s, f })));
  if (missed.length > 0) {
    lines.push('Targets missed in this run (why, with profiles: see the profiling log at the end):', '');
    for (const { s, f } of missed) {
      const by = f.ratio !== undefined ? `, ${f.ratio} × the baseline (${f.baselineName})` : '';
      lines.push(`- ${s.title} — ${f.name}: ${f.value} ${f.unit}${by}; target ${f.target}.`);
    }
    lines.push('');
  }
  const kept = only ? keptSections(sections) : [];
  if (kept.length > 0) {
    lines.push(
      `Only ${only!.join(', ')} ran this time (BENCH_ONLY); the sections marked "(earlier run)" are kept from the previous docs/benchmarks.md.`,
      '',
    );
  }
  for (const k of kept) lines.push(k, '');
  for (const s of sections) {
    lines.push(
      `## ${s.title}`,
      '',
      '| figure | value | baseline | ratio | target | met |',
      '|---|---|---|---|---|---|',
    );
    for (const f of s.figures) {
      lines.push(
        `| ${f.name} | ${f.value} ${f.unit} | ${f.baseline !== undefined ? `${f.baseline} (${f.baselineName})` : '—'} | ${f.ratio ?? '—'} | ${f.target ?? '—'} | ${f.met === undefined ? '—' : f.met ? 'yes' : '**no**'} |`,
      );
    }
    lines.push('', ...s.notes.map((n) => `- ${n}`), '');
  }
  if (failures.length) lines.push('## Not measured in this run', '', ...failures.map((f) => `- ${f}`), '');
  lines.push(readFileSync(join(import.meta.dirname, 'notes.md'), 'utf8').trimEnd(), '');
  return `${lines.join('\n')}\n`;
}

const sections: Section[] = [];
const failures: string[] = [];
for (const b of benches) {
  if (only && !only.includes(b.key)) continue;
  log(`== ${b.key}`);
  try {
    sections.push(await b.run());
  } catch (e) {
    failures.push(`${b.key}: ${(e as Error).message}`);
    log(`${b.key} failed: ${(e as Error).stack}`);
  }
}
const out = join(import.meta.dirname, '..', 'docs', 'benchmarks.md');
writeFileSync(out, render(sections, failures));
log(`wrote ${out}`);
