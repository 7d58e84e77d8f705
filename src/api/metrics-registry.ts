/**
 * A small Prometheus registry: counters, gauges (set, or collected at scrape time) and histograms,
 * rendered in the text exposition format 0.0.4. No dependency; label values are escaped.
 */
export type Labels = Record<string, string>;

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;

function escapeLabel(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function labelText(labels: Labels, extra?: [string, string]): string {
  const parts = Object.entries(labels).map(([k, v]) => `${k}="${escapeLabel(v)}"`);
  if (extra) parts.push(`${extra[0]}="${escapeLabel(extra[1])}"`);
  return parts.length ? `{${parts.join(',')}}` : '';
}

function num(n: number): string {
  if (Number.isNaN(n)) return 'NaN';
  if (n === Number.POSITIVE_INFINITY) return '+Inf';
  if (n === Number.NEGATIVE_INFINITY) return '-Inf';
  return String(n);
}

/** A series key per label set; callers that reuse one label object per series pay for it once. */
const seriesKeys = new WeakMap<Labels, string>();
const keyOf = (labels: Labels) => {
  let k = seriesKeys.get(labels);
  if (k === undefined) {
    k = JSON.stringify(Object.entries(labels).sort());
    seriesKeys.set(labels, k);
  }
  return k;
};

interface Family {
  name: string;
  render(): Promise<string[]> | string[];
}

abstract class Metric implements Family {
  readonly name: string;
  readonly help: string;
  abstract readonly type: string;

  constructor(name: string, help: string) {
    if (!NAME.test(name)) throw new Error(`bad metric name ${name}`);
    this.name = name;
    this.help = help;
  }

  header(): string[] {
    return [
      `# HELP ${this.name} ${this.help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}`,
      `# TYPE ${this.name} ${this.type}`,
    ];
  }

  abstract render(): Promise<string[]> | string[];
}

export class Counter extends Metric {
  readonly type = 'counter';
  readonly #values = new Map<string, { labels: Labels; value: number }>();

  inc(labels: Labels = {}, by = 1): void {
    const k = keyOf(labels);
    const cur = this.#values.get(k);
    if (cur) cur.value += by;
    else this.#values.set(k, { labels, value: by });
  }

  render(): string[] {
    return [
      ...this.header(),
      ...[...this.#values.values()].map((v) => `${this.name}${labelText(v.labels)} ${num(v.value)}`),
    ];
  }
}

type Samples = { labels: Labels; value: number }[];

/** A gauge (or, with type 'counter', a counter kept elsewhere) whose samples are read when scraped. */
export class Gauge extends Metric {
  readonly type: 'gauge' | 'counter';
  readonly #collect: () => Promise<Samples> | Samples;

  constructor(
    name: string,
    help: string,
    collect: () => Promise<Samples> | Samples,
    type: 'gauge' | 'counter' = 'gauge',
  ) {
    super(name, help);
    this.#collect = collect;
    this.type = type;
  }

  async render(): Promise<string[]> {
    const samples = await this.#collect();
    return [...this.header(), ...samples.map((s) => `${this.name}${labelText(s.labels)} ${num(s.value)}`)];
  }
}

export class Histogram extends Metric {
  readonly type = 'histogram';
  readonly #buckets: readonly number[];
  readonly #series = new Map<string, { labels: Labels; counts: number[]; sum: number; count: number }>();

  constructor(name: string, help: string, buckets: readonly number[]) {
    super(name, help);
    this.#buckets = [...buckets].sort((a, b) => a - b);
  }

  observe(labels: Labels, value: number): void {
    const k = keyOf(labels);
    let s = this.#series.get(k);
    if (!s) {
      s = { labels, counts: this.#buckets.map(() => 0), sum: 0, count: 0 };
      this.#series.set(k, s);
    }
    for (let i = 0; i < this.#buckets.length; i++) if (value <= this.#buckets[i]!) s.counts[i]! += 1;
    s.sum += value;
    s.count += 1;
  }

  render(): string[] {
    const out = this.header();
    for (const s of this.#series.values()) {
      this.#buckets.forEach((le, i) => {
        out.push(`${this.name}_bucket${labelText(s.labels, ['le', num(le)])} ${s.counts[i]}`);
      });
      out.push(`${this.name}_bucket${labelText(s.labels, ['le', '+Inf'])} ${s.count}`);
      out.push(`${this.name}_sum${labelText(s.labels)} ${num(s.sum)}`);
      out.push(`${this.name}_count${labelText(s.labels)} ${s.count}`);
    }
    return out;
  }
}

export class Registry {
  readonly #families: Family[] = [];

  add<T extends Family>(metric: T): T {
    if (this.#families.some((f) => f.name === metric.name))
      throw new Error(`duplicate metric ${metric.name}`);
    this.#families.push(metric);
    return metric;
  }

  /** The exposition text; a collector that fails is left out rather than failing the scrape. */
  async render(onError: (name: string, err: unknown) => void = () => {}): Promise<string> {
    const lines: string[] = [];
    for (const f of this.#families) {
      try {
        lines.push(...(await f.render()));
      } catch (e) {
        onError(f.name, e);
      }
    }
    return `${lines.join('\n')}\n`;
  }
}

export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';
