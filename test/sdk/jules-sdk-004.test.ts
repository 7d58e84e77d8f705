// The SDK suite (sdk-suite.ts) against @google/jules-sdk 0.0.4, still on the registry and in use
// (installed as the npm alias jules-sdk-004). It reads states as the enum names, takes no options
// in sources(), and reads bashOutput as stdout/stderr: the server runs with --bash-output.
import assert from 'node:assert/strict';
import type * as Sdk from '@google/jules-sdk';
import * as sdk004 from 'jules-sdk-004';
import { sdkSuite } from './sdk-suite.ts';

const WIRE_STATES = [
  'QUEUED',
  'PLANNING',
  'AWAITING_PLAN_APPROVAL',
  'AWAITING_USER_FEEDBACK',
  'IN_PROGRESS',
  'PAUSED',
  'COMPLETED',
  'FAILED',
];

sdkSuite({
  label: '@google/jules-sdk 0.0.4',
  sdk: sdk004 as unknown as typeof Sdk,
  state: (camel) => camel.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase(),
  assertKnownState: (state, what) => assert.ok(WIRE_STATES.includes(state), `${what}: ${state}`),
  failedResultRejects: false,
  sessionAutoPr: false,
  sourcesOptions: false,
  bashOutput: (artifact) => {
    const a = artifact as { type: string; stdout: string; stderr: string; toString(): string };
    assert.equal(a.type, 'bashOutput');
    assert.equal(typeof a.stderr, 'string');
    return `${a.stdout}|${a.toString()}`;
  },
});
