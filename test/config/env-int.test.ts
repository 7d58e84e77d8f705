/** Every config builder reads integer settings through one parser: unset -> default, else a checked integer. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseBudgets } from '../../src/agents/llm/budgets.ts';
import { buildConfig, ConfigError } from '../../src/config.ts';
import { envInt } from '../../src/env-int.ts';

const fail = (m: string) => new Error(m);

test('unset or empty gives the fallback; an integer in range is taken', () => {
  assert.equal(envInt(fail, 'X', undefined, 7, 0, 10), 7);
  assert.equal(envInt(fail, 'X', '', 7, 0, 10), 7);
  assert.equal(envInt(fail, 'X', '10', 7, 0, 10), 10);
});

test('anything else names the variable, its range and the value', () => {
  for (const raw of ['11', '-1', '1.5', 'ten']) {
    assert.throws(
      () => envInt(fail, 'STINT_X', raw, 7, 0, 10),
      new Error(`STINT_X must be an integer between 0 and 10; got '${raw}'.`),
    );
  }
  assert.throws(
    () => parseBudgets({ STINT_BUDGET_TURNS: 'many' }, fail),
    /^Error: STINT_BUDGET_TURNS must be an integer between 0 \(unlimited\) and 1000000; got 'many'\.$/,
  );
  assert.throws(
    () => buildConfig({}, { STINT_LEASE_MS: '5' }),
    (e: Error) =>
      e instanceof ConfigError && /^STINT_LEASE_MS must be an integer between 1000 and/.test(e.message),
  );
});
