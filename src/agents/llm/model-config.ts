/**
 * Which model the LLM agent talks to, from the environment (and the --model flag):
 * STINT_MODEL=<provider>:<model>, STINT_MODEL_BASE_URL, STINT_MODEL_API_KEY or STINT_MODEL_API_KEY_FILE,
 * and tuning knobs. The API key is kept here only; nothing prints it.
 */
import { readFileSync } from 'node:fs';
import { envInt, type Fail } from '../../env-int.ts';

export const MODEL_PROVIDERS = ['openai-compatible', 'openai', 'anthropic', 'google', 'ollama'] as const;
export type ModelProvider = (typeof MODEL_PROVIDERS)[number];

export interface ModelPrice {
  /** US dollars per million input tokens. */
  inputPerMTok: number;
  /** US dollars per million output tokens. */
  outputPerMTok: number;
}

export interface ModelConfig {
  provider: ModelProvider;
  /** The model name as the provider knows it (without the provider prefix). */
  model: string;
  /** API base, e.g. http://127.0.0.1:11434/v1 (requests go to {base}/chat/completions). */
  baseUrl: string | undefined;
  apiKey: string | undefined;
  /** Stream responses (SSE) rather than wait for whole ones. */
  stream: boolean;
  /** The model's context window in tokens; the transcript is compacted before it fills up. */
  contextTokens: number;
  maxOutputTokens: number | undefined;
  temperature: number | undefined;
  /** Bound on one model request. */
  requestTimeoutMs: number;
  /** Retries of 429, 5xx and network errors (at least 2). */
  maxRetries: number;
  /** First retry delay; doubles each time (a Retry-After header wins). */
  retryBaseMs: number;
  price: ModelPrice | undefined;
}

/** The key's conventional variable per provider, used when STINT_MODEL_API_KEY is not set. */
const KEY_FALLBACK: Partial<Record<ModelProvider, string>> = {
  openai: 'OPENAI_API_KEY',
  anthropic: 'ANTHROPIC_API_KEY',
  google: 'GOOGLE_GENERATIVE_AI_API_KEY',
};

const DEFAULT_OLLAMA_URL = 'http://127.0.0.1:11434/v1';

export function parseModelConfig(
  flags: { model?: string | undefined },
  env: NodeJS.ProcessEnv,
  fail: Fail,
): ModelConfig {
  const spec = (flags.model ?? env.STINT_MODEL ?? '').trim();
  const providers = MODEL_PROVIDERS.join(', ');
  if (spec === '') {
    throw fail(`--agent llm needs STINT_MODEL=<provider>:<model> (provider: ${providers}).`);
  }
  const colon = spec.indexOf(':');
  const provider = spec.slice(0, colon) as ModelProvider;
  const model = spec.slice(colon + 1).trim();
  if (colon < 0 || !MODEL_PROVIDERS.includes(provider) || model === '') {
    throw fail(`STINT_MODEL must be <provider>:<model> with provider one of ${providers}; got '${spec}'.`);
  }
  let baseUrl = env.STINT_MODEL_BASE_URL?.trim() || undefined;
  if (provider === 'ollama') baseUrl ??= DEFAULT_OLLAMA_URL;
  if (provider === 'openai-compatible' && baseUrl === undefined) {
    throw fail('STINT_MODEL=openai-compatible:... needs STINT_MODEL_BASE_URL (e.g. http://host:8000/v1).');
  }
  if (baseUrl !== undefined) baseUrl = checkBaseUrl(baseUrl, fail);
  const apiKey = readApiKey(provider, env, fail);
  const streamRaw = env.STINT_MODEL_STREAM;
  const stream = streamRaw === undefined || streamRaw === '' || /^(1|true|yes|on)$/i.test(streamRaw);
  const temperature = env.STINT_MODEL_TEMPERATURE ? Number(env.STINT_MODEL_TEMPERATURE) : undefined;
  if (temperature !== undefined && !(temperature >= 0 && temperature <= 2)) {
    throw fail(
      `STINT_MODEL_TEMPERATURE must be a number between 0 and 2; got '${env.STINT_MODEL_TEMPERATURE}'.`,
    );
  }
  const maxOutput = envInt(
    fail,
    'STINT_MODEL_MAX_OUTPUT_TOKENS',
    env.STINT_MODEL_MAX_OUTPUT_TOKENS,
    0,
    0,
    10_000_000,
  );
  return {
    provider,
    model,
    baseUrl,
    apiKey,
    stream,
    contextTokens: envInt(
      fail,
      'STINT_MODEL_CONTEXT_TOKENS',
      env.STINT_MODEL_CONTEXT_TOKENS,
      provider === 'ollama' ? 32_768 : 128_000,
      2048,
      100_000_000,
    ),
    maxOutputTokens: maxOutput === 0 ? undefined : maxOutput,
    temperature,
    requestTimeoutMs: envInt(
      fail,
      'STINT_MODEL_TIMEOUT_MS',
      env.STINT_MODEL_TIMEOUT_MS,
      600_000,
      1000,
      86_400_000,
    ),
    maxRetries: envInt(fail, 'STINT_MODEL_MAX_RETRIES', env.STINT_MODEL_MAX_RETRIES, 4, 2, 100),
    retryBaseMs: envInt(fail, 'STINT_MODEL_RETRY_BASE_MS', env.STINT_MODEL_RETRY_BASE_MS, 1000, 0, 600_000),
    price: parsePrice(env.STINT_MODEL_PRICE, fail),
  };
}

function checkBaseUrl(raw: string, fail: Fail): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw fail(`STINT_MODEL_BASE_URL must be an http:// or https:// URL; got '${raw}'.`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw fail(`STINT_MODEL_BASE_URL must be an http:// or https:// URL; got '${raw}'.`);
  }
  if (url.username || url.password) {
    throw fail('STINT_MODEL_BASE_URL must not hold credentials; put the key in STINT_MODEL_API_KEY.');
  }
  return raw.replace(/\/+$/, '');
}

function readApiKey(provider: ModelProvider, env: NodeJS.ProcessEnv, fail: Fail): string | undefined {
  let key = env.STINT_MODEL_API_KEY?.trim() || undefined;
  const file = env.STINT_MODEL_API_KEY_FILE?.trim();
  if (key === undefined && file) {
    try {
      key = readFileSync(file, 'utf8').trim() || undefined;
    } catch (e) {
      throw fail(`STINT_MODEL_API_KEY_FILE ${file}: ${(e as NodeJS.ErrnoException).code ?? 'unreadable'}.`);
    }
    if (key === undefined) throw fail(`STINT_MODEL_API_KEY_FILE ${file} is empty.`);
  }
  const fallback = KEY_FALLBACK[provider];
  if (key === undefined && fallback) key = env[fallback]?.trim() || undefined;
  if (key === undefined && fallback) {
    throw fail(
      `STINT_MODEL=${provider}:... needs STINT_MODEL_API_KEY (or STINT_MODEL_API_KEY_FILE, or ${fallback}).`,
    );
  }
  if (key !== undefined && /[\s\0]/.test(key)) throw fail('STINT_MODEL_API_KEY must not contain whitespace.');
  return key;
}

function parsePrice(raw: string | undefined, fail: Fail): ModelPrice | undefined {
  if (raw === undefined || raw.trim() === '') return undefined;
  const parts = raw.split(',').map((p) => Number(p.trim()));
  if (parts.length !== 2 || !parts.every((n) => Number.isFinite(n) && n >= 0)) {
    throw fail(`STINT_MODEL_PRICE must be '<input>,<output>' US dollars per million tokens; got '${raw}'.`);
  }
  return { inputPerMTok: parts[0]!, outputPerMTok: parts[1]! };
}

/** The model as shown to people: `provider:model`, never the key. */
export function modelLabel(c: Pick<ModelConfig, 'provider' | 'model'>): string {
  return `${c.provider}:${c.model}`;
}
