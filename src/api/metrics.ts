/**
 * Stint's metrics and GET /metrics (Prometheus text format, by prom-client on a registry of its own).
 * Store-backed gauges (sessions by state,
 * queue depth, leased sessions, webhook deliveries by status) are read at scrape time and agree
 * across processes; counters and histograms (HTTP latency, session durations, agent activity,
 * webhook attempts) count what this process saw since it started, as Prometheus expects.
 *
 * Access (`STINT_METRICS`): `admin` (default) needs an admin API key, as `Authorization: Bearer` or
 * `X-Goog-Api-Key`, because the numbers span every tenant; `public` serves it without a key (for a
 * scraper on a private network); `off` answers 404.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { isTerminalActivity } from '../domain/activity.ts';
import { StintError } from '../domain/errors.ts';
import { SESSION_STATES } from '../domain/states.ts';
import { backgroundFaults } from '../services/background-faults.ts';
import type { SessionChanged } from '../services/events.ts';
import type { Store } from '../store/store.ts';
import type { DeliveryOutcome } from '../webhooks/dispatcher.ts';
import type { SendResult } from '../webhooks/sender.ts';
import type { Authenticator } from './auth.ts';
import { metricsRouteDocs } from './route-docs.ts';

export type MetricsAccess = 'admin' | 'public' | 'off';

const HTTP_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const SESSION_BUCKETS = [1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 7200, 21600, 86400];
const KNOWN_VERBS = new Set([
  'approvePlan',
  'sendMessage',
  'archive',
  'unarchive',
  'pause',
  'resume',
  'cancel',
  'rotateSecret',
  'test',
  'redeliver',
]);

/** The route template as a bounded label: `/v1alpha/sessions/:idVerb` becomes `/v1alpha/sessions/{id}:cancel`. */
const plainLabels = new Map<string, string>();

export function routeLabel(req: FastifyRequest): string {
  const url = req.routeOptions.url;
  if (url === undefined) return 'unmatched';
  // Routes without a custom verb have one label each, computed once.
  const plain = plainLabels.get(url);
  if (plain !== undefined) return plain;
  if (!/:(\w+)Verb$/.test(url)) {
    const label = url
      .replace(/\([^)]*\)/g, '')
      .replace(/::/g, ':')
      .replace(/\/:(\w+)/g, '/{$1}');
    plainLabels.set(url, label);
    return label;
  }
  const params = (req.params ?? {}) as Record<string, string>;
  return url
    .replace(/:(\w+)Verb$/, (_, p: string) => {
      const value = params[`${p}Verb`] ?? '';
      const verb = value.slice(value.lastIndexOf(':') + 1);
      return `{${p}}:${KNOWN_VERBS.has(verb) ? verb : 'unknown'}`;
    })
    .replace(/::/g, ':')
    .replace(/\/:(\w+)/g, '/{$1}');
}

type Labels = Record<string, string>;

/**
 * The registry's exposition text, one family after another; a family whose collector fails is left
 * out (and reported) rather than failing the whole scrape.
 */
export class MetricsRegistry {
  readonly prom = new Registry();
  readonly contentType = this.prom.contentType;

  async render(onError: (name: string, err: unknown) => void = () => {}): Promise<string> {
    const parts: string[] = [];
    for (const m of this.prom.getMetricsAsArray()) {
      try {
        parts.push(await this.prom.getSingleMetricAsString(m.name));
      } catch (e) {
        onError(m.name, e);
      }
    }
    return `${parts.join('\n')}\n`;
  }
}

export class StintMetrics {
  readonly registry = new MetricsRegistry();
  readonly #http: Histogram;
  readonly #sessionDuration: Histogram;
  readonly #agentActivities: Counter;
  readonly #agentTokens: Counter;
  readonly #agentTurns: Counter;
  readonly #webhookAttempts: Counter;
  readonly #webhookLatency: Histogram;
  /** Last usage seen per session (bounded), to count what grew. */
  readonly #usageSeen = new Map<string, { turns: number; input: number; output: number }>();

  constructor(store: Store, openStreams: () => number) {
    const registers = [this.registry.prom];
    /** A gauge read at scrape time: `read` gives its samples. */
    const scraped = (
      name: string,
      help: string,
      labelNames: string[],
      read: () => Promise<{ labels: Labels; value: number }[]> | { labels: Labels; value: number }[],
    ) =>
      new Gauge({
        name,
        help,
        labelNames,
        registers,
        async collect() {
          const samples = await read();
          this.reset();
          for (const s of samples) this.set(s.labels, s.value);
        },
      });
    /** A counter kept elsewhere (a total that only grows), read at scrape time. */
    const scrapedCounter = (
      name: string,
      help: string,
      labelNames: string[],
      read: () => { labels: Labels; value: number }[],
    ) =>
      new Counter({
        name,
        help,
        labelNames,
        registers,
        collect() {
          this.reset();
          for (const s of read()) this.inc(s.labels, s.value);
        },
      });

    scraped('stint_sessions', 'Sessions by state (all tenants).', ['state'], async () => {
      const counts = await store.countSessionsByState();
      return SESSION_STATES.map((state) => ({ labels: { state }, value: counts[state] ?? 0 }));
    });
    scraped('stint_queue_depth', 'Sessions waiting for a worker.', [], async () => [
      { labels: {}, value: await store.stats.queueDepth() },
    ]);
    scraped('stint_sessions_leased', 'Sessions a worker is driving now.', [], async () => [
      { labels: {}, value: await store.stats.leasedSessions() },
    ]);
    this.#sessionDuration = new Histogram({
      name: 'stint_session_duration_seconds',
      help: 'Time from creation to COMPLETED or FAILED, of sessions that ended in this process.',
      labelNames: ['state'],
      buckets: SESSION_BUCKETS,
      registers,
    });
    this.#agentActivities = new Counter({
      name: 'stint_agent_activities_total',
      help: 'Activities recorded by agents, by kind.',
      labelNames: ['kind'],
      registers,
    });
    this.#agentTurns = new Counter({
      name: 'stint_agent_turns_total',
      help: 'Model turns reported by agents.',
      labelNames: ['model'],
      registers,
    });
    this.#agentTokens = new Counter({
      name: 'stint_agent_tokens_total',
      help: 'Model tokens reported by agents, by direction (input, output).',
      labelNames: ['model', 'direction'],
      registers,
    });
    this.#http = new Histogram({
      name: 'stint_http_request_duration_seconds',
      help: 'HTTP request latency by method, route and status code (live streams excluded).',
      labelNames: ['method', 'route', 'code'],
      buckets: HTTP_BUCKETS,
      registers,
    });
    scraped('stint_sse_streams', 'Live event streams open now.', [], () => [
      { labels: {}, value: openStreams() },
    ]);
    this.#webhookAttempts = new Counter({
      name: 'stint_webhook_attempts_total',
      help: 'Webhook delivery attempts by outcome: succeeded, retrying (failed, will retry), failed (gave up).',
      labelNames: ['outcome'],
      registers,
    });
    this.#webhookLatency = new Histogram({
      name: 'stint_webhook_attempt_duration_seconds',
      help: 'Duration of webhook delivery attempts.',
      buckets: HTTP_BUCKETS,
      registers,
    });
    scraped('stint_webhook_deliveries', 'Webhook deliveries in the log, by status.', ['status'], async () => {
      const c = await store.webhooks.countDeliveries();
      return Object.entries(c).map(([status, value]) => ({ labels: { status }, value }));
    });
    scrapedCounter(
      'stint_background_errors_total',
      "Failures of background work in this process, by what failed: lease_reaper (releasing expired leases), clock_sync (reading the database clock), branch_listing (reading a source's branches).",
      ['what'],
      () => backgroundFaults.all().map((f) => ({ labels: { what: f.what }, value: f.count })),
    );
    // The process figures Prometheus expects, under their usual names (prom-client's default
    // collectors would add a few dozen nodejs_* families on top; these three are what Stint promises).
    const started = Date.now() / 1000;
    scraped('process_start_time_seconds', 'Start time of the process since the Unix epoch.', [], () => [
      { labels: {}, value: started },
    ]);
    scraped('process_resident_memory_bytes', 'Resident memory size in bytes.', [], () => [
      { labels: {}, value: process.memoryUsage.rss() },
    ]);
    scrapedCounter('process_cpu_seconds_total', 'User and system CPU time spent, in seconds.', [], () => {
      const u = process.cpuUsage();
      return [{ labels: {}, value: (u.user + u.system) / 1e6 }];
    });
  }

  /** Follows session changes announced in this process (changes re-announced from other processes are skipped). */
  observeChange(c: SessionChanged): void {
    if (c.remote) return;
    this.#observeUsage(c);
    for (const a of c.activities) {
      if (a.originator === 'agent') this.#agentActivities.inc({ kind: a.content.kind });
      if (isTerminalActivity(a)) {
        const state = a.content.kind === 'sessionCompleted' ? 'COMPLETED' : 'FAILED';
        this.#sessionDuration.observe({ state }, Math.max(0, (a.createTime - c.session.createTime) / 1e6));
      }
    }
  }

  /**
   * Model turns and tokens from the sessions' cumulative usage: what grew since this process last saw
   * the session. A session first seen with usage already reported (one resumed after a restart) only
   * sets the baseline, so nothing is counted twice.
   */
  #observeUsage(c: SessionChanged): void {
    const id = c.session.id;
    const u = c.session.usage;
    const before = this.#usageSeen.get(id);
    if (!u) {
      if (!before) this.#remember(id, { turns: 0, input: 0, output: 0 });
      return;
    }
    const now = { turns: u.modelTurns, input: u.inputTokens, output: u.outputTokens };
    this.#remember(id, now);
    if (!before) return;
    const labels = { model: u.model };
    if (now.turns > before.turns) this.#agentTurns.inc(labels, now.turns - before.turns);
    if (now.input > before.input)
      this.#agentTokens.inc({ ...labels, direction: 'input' }, now.input - before.input);
    if (now.output > before.output)
      this.#agentTokens.inc({ ...labels, direction: 'output' }, now.output - before.output);
  }

  #remember(id: string, usage: { turns: number; input: number; output: number }): void {
    this.#usageSeen.delete(id);
    this.#usageSeen.set(id, usage);
    if (this.#usageSeen.size > 10_000) this.#usageSeen.delete(this.#usageSeen.keys().next().value!);
  }

  recordWebhookAttempt(outcome: DeliveryOutcome, result: SendResult): void {
    this.#webhookAttempts.inc({ outcome });
    this.#webhookLatency.observe(result.durationMs / 1000);
  }

  /** HTTP latency of every answered request (a hijacked stream never reaches onResponse). */
  registerHttpHooks(app: FastifyInstance): void {
    // Callback style and a label set looked up by one string: no promise, no label sorting per request.
    const labelSets = new Map<string, Labels>();
    app.addHook('onResponse', (req: FastifyRequest, reply: FastifyReply, done: () => void) => {
      const route = routeLabel(req);
      const k = `${req.method} ${reply.statusCode} ${route}`;
      let labels = labelSets.get(k);
      if (!labels) {
        labels = { method: req.method, route, code: String(reply.statusCode) };
        if (labelSets.size < 10_000) labelSets.set(k, labels);
      }
      this.#http.observe(labels, reply.elapsedTime / 1000);
      done();
    });
  }

  registerRoute(app: FastifyInstance, access: MetricsAccess, auth: Authenticator): void {
    app.get('/metrics', metricsRouteDocs, async (req, reply) => {
      if (access === 'off') throw new StintError('NOT_FOUND', 'Metrics are turned off (STINT_METRICS=off).');
      if (access === 'admin') {
        const who = await auth.authenticate(req);
        if (who.role !== 'admin') throw new StintError('PERMISSION_DENIED', 'Metrics need an admin API key.');
      }
      const text = await this.registry.render((name, err) =>
        req.log.warn({ err, metric: name }, 'metric collection failed'),
      );
      return reply.type(this.registry.contentType).send(text);
    });
  }
}
