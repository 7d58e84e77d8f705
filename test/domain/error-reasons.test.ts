/** The error catalogue is documented: every ErrorInfo reason is in the README's API section. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { ERROR_REASONS, ERROR_STATUSES } from '../../src/domain/errors.ts';

test('every reason of the catalogue is in the README, and every status is a reason', () => {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const api = readme.slice(readme.indexOf('## The API'), readme.indexOf('### Beyond polling'));
  for (const reason of ERROR_REASONS) assert.match(api, new RegExp(`\\| \`${reason}\` \\|`), reason);
  for (const status of Object.keys(ERROR_STATUSES))
    assert.ok(ERROR_REASONS.includes(status as never), status);
});
