// Setup may reach hosts the agent's commands may not (`--setup-allow-host`): the rule, and its config.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { applySetupOptions } from '../../src/cli/source-setup-options.ts';
import { sessionNetwork, setupNetwork } from '../../src/security/setup.ts';
import { parseSetupConfig } from '../../src/sources/setup-config.ts';

test("setup's network is the session's plus the hosts only setup may reach", () => {
  const server = { sandboxNetwork: false, sandboxAllowHosts: [] as string[] };
  // An offline agent: setup still reaches the registry, through the allowlist proxy only.
  const offline = sessionNetwork(server, {});
  assert.equal(offline, false);
  assert.deepEqual(setupNetwork(offline, ['registry.npmjs.org']), { allow: ['registry.npmjs.org'] });
  assert.equal(setupNetwork(offline, []), false, 'nothing listed: setup is offline too');
  // An agent with its own allowlist: setup gets the union, the agent keeps its own.
  const agent = sessionNetwork(server, { allowHosts: ['api.example.com'] });
  assert.deepEqual(agent, { allow: ['api.example.com'] });
  assert.deepEqual(setupNetwork(agent, ['registry.npmjs.org', 'api.example.com']), {
    allow: ['api.example.com', 'registry.npmjs.org'],
  });
  // The whole network stays the whole network.
  assert.equal(setupNetwork(sessionNetwork(server, { network: true }), ['x.org']), true);
});

test('config.setup.allowHosts is checked and normalised like --allow-host, naming the field', () => {
  assert.deepEqual(parseSetupConfig({ allowHosts: ['Registry.NPMjs.org', '*.pypi.org'] }).allowHosts, [
    'registry.npmjs.org',
    '*.pypi.org',
  ]);
  for (const bad of [['*.com'], ['http://x.org/'], [''], 'registry.npmjs.org', [42]]) {
    assert.throws(
      () => parseSetupConfig({ allowHosts: bad }),
      /config\.setup\.allowHosts/,
      JSON.stringify(bad),
    );
  }
  const cfg = applySetupOptions(undefined, { setup: ['npm ci'], setupAllowHost: ['registry.npmjs.org'] });
  assert.deepEqual(cfg, { commands: ['npm ci'], allowHosts: ['registry.npmjs.org'] });
  assert.throws(() => applySetupOptions(undefined, { setupAllowHost: ['*'] }), /config\.setup\.allowHosts/);
});
