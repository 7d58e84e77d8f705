/** Model, budget and agent configuration: what is accepted, defaults, and one-line errors. */
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { APICallError } from 'ai';
import { buildAgentConfig } from '../../../src/agents/agent-config.ts';
import { budgetExceeded, parseBudgets } from '../../../src/agents/llm/budgets.ts';
import { parseModelConfig } from '../../../src/agents/llm/model-config.ts';
import { classifyModelError } from '../../../src/agents/llm/model-errors.ts';
import { makeTempDir } from '../../support/server.ts';

const fail = (m: string) => new Error(m);
const model = (env: NodeJS.ProcessEnv, flags: { model?: string } = {}) => parseModelConfig(flags, env, fail);

test('STINT_MODEL picks the provider; the model name goes without the prefix', () => {
  const c = model({
    STINT_MODEL: 'openai-compatible:qwen/qwen3-coder:free',
    STINT_MODEL_BASE_URL: 'http://h:8000/v1/',
  });
  assert.equal(c.provider, 'openai-compatible');
  assert.equal(c.model, 'qwen/qwen3-coder:free');
  assert.equal(c.baseUrl, 'http://h:8000/v1');
  assert.equal(c.apiKey, undefined);
  assert.equal(c.stream, true);
  const o = model({ STINT_MODEL: 'ollama:qwen2.5-coder:7b' });
  assert.equal(o.baseUrl, 'http://127.0.0.1:11434/v1');
  assert.equal(o.contextTokens, 32_768);
  assert.throws(
    () => model({ STINT_MODEL: 'ollama:x' }, { model: 'anthropic:claude-sonnet-4-5' }),
    /ANTHROPIC_API_KEY/,
  );
});

test('keys come from STINT_MODEL_API_KEY, a key file, or the provider variable', () => {
  assert.equal(model({ STINT_MODEL: 'openai:gpt-5', STINT_MODEL_API_KEY: 'sk-1' }).apiKey, 'sk-1');
  const dir = makeTempDir();
  after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'key'), 'sk-from-file\n');
  assert.equal(
    model({ STINT_MODEL: 'openai:gpt-5', STINT_MODEL_API_KEY_FILE: join(dir, 'key') }).apiKey,
    'sk-from-file',
  );
  assert.equal(model({ STINT_MODEL: 'anthropic:claude', ANTHROPIC_API_KEY: 'sk-ant' }).apiKey, 'sk-ant');
  assert.throws(() => model({ STINT_MODEL: 'google:gemini-2.5-pro' }), /needs STINT_MODEL_API_KEY/);
  assert.throws(
    () => model({ STINT_MODEL: 'openai:gpt-5', STINT_MODEL_API_KEY_FILE: join(dir, 'missing') }),
    /STINT_MODEL_API_KEY_FILE .*missing: ENOENT/,
  );
});

test('bad model settings are refused, naming the variable', () => {
  assert.throws(() => model({}), /needs STINT_MODEL=<provider>:<model>/);
  assert.throws(() => model({ STINT_MODEL: 'mistral:large' }), /provider one of openai-compatible/);
  assert.throws(() => model({ STINT_MODEL: 'openai-compatible:m' }), /needs STINT_MODEL_BASE_URL/);
  assert.throws(
    () => model({ STINT_MODEL: 'ollama:m', STINT_MODEL_BASE_URL: 'http://u:secret@h/v1' }),
    /must not hold credentials/,
  );
  assert.throws(
    () => model({ STINT_MODEL: 'ollama:m', STINT_MODEL_MAX_RETRIES: '1' }),
    /STINT_MODEL_MAX_RETRIES/,
  );
  assert.deepEqual(model({ STINT_MODEL: 'ollama:m', STINT_MODEL_PRICE: '3, 15' }).price, {
    inputPerMTok: 3,
    outputPerMTok: 15,
  });
  assert.throws(
    () => buildAgentConfig({ agent: 'magic' }, {}, fail),
    /--agent must be one of scripted, llm, cli/,
  );
  assert.equal(buildAgentConfig({}, {}, fail).model, undefined);
});

test('budgets: defaults, 0 for unlimited, what is exceeded', () => {
  const b = parseBudgets(
    { STINT_BUDGET_TURNS: '3', STINT_BUDGET_TOKENS: '0', STINT_BUDGET_MINUTES: '1' },
    fail,
  );
  assert.deepEqual(b, { maxTurns: 3, maxTokens: 0, maxWallMs: 60_000 });
  assert.equal(budgetExceeded(b, { turns: 2, tokens: 1e9, wallMs: 0 }), undefined);
  assert.match(budgetExceeded(b, { turns: 3, tokens: 0, wallMs: 0 })!, /3 model turns/);
  assert.match(budgetExceeded(b, { turns: 0, tokens: 0, wallMs: 60_000 })!, /1 minutes/);
  assert.throws(() => parseBudgets({ STINT_BUDGET_TURNS: '-1' }, fail), /STINT_BUDGET_TURNS/);
});

test('model errors: what is retried, what overflows the context, what is final', () => {
  const err = (status: number, message: string, headers: Record<string, string> = {}) =>
    new APICallError({
      message,
      url: 'http://x',
      requestBodyValues: {},
      statusCode: status,
      responseHeaders: headers,
    });
  assert.deepEqual(classifyModelError(err(429, 'slow down', { 'retry-after': '7' })), {
    kind: 'transient',
    message: 'HTTP 429: slow down',
    retryAfterMs: 7000,
  });
  // An HTTP date has whole seconds; the time this code spends between its lines (long on a busy
  // machine) is measured, not guessed.
  const before = Date.now();
  const date = new Date(before + 5000).toUTCString();
  const byDate = classifyModelError(err(503, 'busy', { 'retry-after': date })).retryAfterMs!;
  const spent = Date.now() - before;
  assert.ok(byDate > 5000 - 1000 - spent && byDate <= 5000, `${byDate} ms (${spent} ms spent)`);
  assert.equal(classifyModelError(err(500, 'oops')).kind, 'transient');
  assert.equal(
    classifyModelError(err(400, "This model's maximum context length is 8192 tokens")).kind,
    'context',
  );
  assert.equal(classifyModelError(err(404, 'model not found')).kind, 'permanent');
  assert.equal(classifyModelError(new TypeError('fetch failed')).kind, 'transient');
});
