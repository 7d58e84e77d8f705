/** Per-task results of an eval run and their totals, as JSON and Markdown. */

export interface TaskResult {
  instanceId: string;
  /** 1-based attempt number (for pass@k with --attempts K). */
  attempt: number;
  status: 'resolved' | 'unresolved' | 'error';
  reason?: string;
  sessionId?: string;
  sessionUrl?: string;
  /** The session's final state. */
  state?: string;
  wallMs: number;
  inputTokens?: number;
  outputTokens?: number;
  costUsd?: number;
  turns?: number;
  patchBytes: number;
  patchFiles: number;
  /** The session's patch, under the output folder (absent when it was empty). */
  patchFile?: string;
  tests?: { id: string; kind: string; passed: boolean; tail?: string }[];
}

export interface RejectedTask {
  instanceId: string;
  reason: string;
}

export interface EvalSummary {
  tasks: number;
  attempts: number;
  runs: number;
  resolved: number;
  errors: number;
  resolveRate: number;
  /** Wilson score interval at 95 %, over runs. */
  resolveRate95: [number, number];
  /** pass@k per k from 1 to attempts (unbiased estimator), over tasks. */
  passAtK: Record<string, number>;
  /** Best of N (attempts > 1): tasks whose best candidate, as the tests judge it, resolves them. */
  bestOfN?: { resolved: number; tasks: number };
  medianWallMs: number;
  p90WallMs: number;
  inputTokens: number;
  outputTokens: number;
  costUsd?: number;
}

export interface EvalReport {
  agent: string;
  startedAt: string;
  finishedAt: string;
  summary: EvalSummary;
  results: TaskResult[];
  rejected: RejectedTask[];
}

export function summarize(results: TaskResult[], attempts: number): EvalSummary {
  const runs = results.length;
  const resolved = results.filter((r) => r.status === 'resolved').length;
  const walls = results.map((r) => r.wallMs).sort((a, b) => a - b);
  const costs = results.filter((r) => r.costUsd !== undefined);
  const byTask = new Map<string, TaskResult[]>();
  for (const r of results) byTask.set(r.instanceId, [...(byTask.get(r.instanceId) ?? []), r]);
  const passAtK: Record<string, number> = {};
  for (let k = 1; k <= attempts; k++) {
    const values = [...byTask.values()]
      .filter((rs) => rs.length >= k)
      .map((rs) => passAt(rs.length, rs.filter((r) => r.status === 'resolved').length, k));
    if (values.length > 0) passAtK[`pass@${k}`] = values.reduce((a, b) => a + b, 0) / values.length;
  }
  const best = bestOf(results);
  return {
    tasks: byTask.size,
    attempts,
    runs,
    resolved,
    errors: results.filter((r) => r.status === 'error').length,
    resolveRate: runs === 0 ? 0 : resolved / runs,
    resolveRate95: wilson(resolved, runs),
    passAtK,
    ...(attempts > 1
      ? {
          bestOfN: {
            resolved: [...best.values()].filter((r) => r.status === 'resolved').length,
            tasks: best.size,
          },
        }
      : {}),
    medianWallMs: quantile(walls, 0.5),
    p90WallMs: quantile(walls, 0.9),
    inputTokens: results.reduce((n, r) => n + (r.inputTokens ?? 0), 0),
    outputTokens: results.reduce((n, r) => n + (r.outputTokens ?? 0), 0),
    ...(costs.length > 0 ? { costUsd: costs.reduce((n, r) => n + (r.costUsd ?? 0), 0) } : {}),
  };
}

const RANK: Record<TaskResult['status'], number> = { resolved: 2, unresolved: 1, error: 0 };

/**
 * The best candidate of each task, as its tests judge them: resolved first, then the most tests
 * passing, then a non-empty patch, then the smallest patch, then the earliest attempt.
 */
export function bestOf(results: TaskResult[]): Map<string, TaskResult> {
  const passed = (r: TaskResult) => (r.tests ?? []).filter((t) => t.passed).length;
  const better = (a: TaskResult, b: TaskResult): boolean =>
    RANK[a.status] !== RANK[b.status]
      ? RANK[a.status] > RANK[b.status]
      : passed(a) !== passed(b)
        ? passed(a) > passed(b)
        : a.patchBytes > 0 !== b.patchBytes > 0
          ? a.patchBytes > 0
          : a.patchBytes !== b.patchBytes
            ? a.patchBytes < b.patchBytes
            : a.attempt < b.attempt;
  const best = new Map<string, TaskResult>();
  for (const r of results) {
    const cur = best.get(r.instanceId);
    if (!cur || better(r, cur)) best.set(r.instanceId, r);
  }
  return best;
}

/** Wilson score interval for a binomial proportion, z = 1.96. */
export function wilson(successes: number, n: number): [number, number] {
  if (n === 0) return [0, 1];
  const z = 1.96;
  const p = successes / n;
  const denom = 1 + (z * z) / n;
  const centre = (p + (z * z) / (2 * n)) / denom;
  const half = (z * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n))) / denom;
  return [Math.max(0, centre - half), Math.min(1, centre + half)];
}

/** Unbiased pass@k from n samples with c correct (Chen et al., 2021): 1 - C(n-c, k) / C(n, k). */
export function passAt(n: number, c: number, k: number): number {
  if (n - c < k) return 1;
  let prod = 1;
  for (let i = n - c + 1; i <= n; i++) prod *= 1 - k / i;
  return 1 - prod;
}

/** Nearest-rank quantile of sorted values (0 when there are none). */
export function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

const pct = (x: number) => `${(100 * x).toFixed(1)} %`;
const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** The one-line verdict printed at the end of a run. */
export function headline(s: EvalSummary): string {
  const [lo, hi] = s.resolveRate95;
  return `Resolved ${s.resolved}/${s.runs} (${pct(s.resolveRate)}; 95 % interval ${pct(lo)}–${pct(hi)})`;
}

export function toMarkdown(report: EvalReport): string {
  const s = report.summary;
  const lines = [
    '# Stint eval report',
    '',
    `Agent: ${report.agent}. Started ${report.startedAt}, finished ${report.finishedAt}.`,
    '',
    `**${headline(s)}**`,
    '',
    '| measure | value |',
    '|---|---|',
    `| tasks × attempts | ${s.tasks} × ${s.attempts} (${s.runs} runs) |`,
    `| errors (harness or session) | ${s.errors} |`,
    ...Object.entries(s.passAtK).map(([k, v]) => `| ${k} | ${pct(v)} |`),
    ...(s.bestOfN
      ? [
          `| best of ${s.attempts} (judged by the tests) | ${s.bestOfN.resolved}/${s.bestOfN.tasks} tasks resolved |`,
        ]
      : []),
    `| wall time per run, median / p90 | ${secs(s.medianWallMs)} / ${secs(s.p90WallMs)} |`,
    `| tokens in / out | ${s.inputTokens} / ${s.outputTokens} |`,
    `| cost | ${s.costUsd === undefined ? 'no price configured' : `$${s.costUsd.toFixed(4)}`} |`,
    '',
    '| task | attempt | result | time | turns | tokens in/out | patch | session | reason |',
    '|---|---|---|---|---|---|---|---|---|',
  ];
  for (const r of report.results) {
    const session = r.sessionUrl ? `[${r.sessionId}](${r.sessionUrl})` : (r.sessionId ?? '');
    const tokens = r.inputTokens === undefined ? '' : `${r.inputTokens}/${r.outputTokens ?? 0}`;
    const reason = (r.reason ?? '').replaceAll('|', '\\|').replaceAll('\n', ' ').slice(0, 160);
    lines.push(
      `| ${r.instanceId} | ${r.attempt} | ${r.status} | ${secs(r.wallMs)} | ${r.turns ?? ''} | ${tokens} | ${r.patchFiles} files, ${r.patchBytes} B | ${session} | ${reason} |`,
    );
  }
  if (s.attempts > 1) {
    lines.push(
      '',
      `## Best of ${s.attempts}`,
      '',
      '| task | best attempt | result | patch |',
      '|---|---|---|---|',
    );
    for (const r of bestOf(report.results).values()) {
      lines.push(
        `| ${r.instanceId} | ${r.attempt} | ${r.status} | ${r.patchFile ? `best/${r.instanceId}.patch` : 'none'} |`,
      );
    }
  }
  if (report.rejected.length > 0) {
    lines.push('', '## Rejected tasks', '');
    for (const t of report.rejected) lines.push(`- ${t.instanceId}: ${t.reason}`);
  }
  return `${lines.join('\n')}\n`;
}
