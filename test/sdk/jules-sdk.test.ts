// The SDK suite (sdk-suite.ts) against @google/jules-sdk 0.2.0, the current release.
import assert from 'node:assert/strict';
import * as sdk from '@google/jules-sdk';
import { sdkSuite } from './sdk-suite.ts';

sdkSuite({
  label: '@google/jules-sdk 0.2.0',
  sdk,
  state: (camel) => camel,
  assertKnownState: (state, what) => assert.notEqual(state, 'unspecified', what),
  failedResultRejects: true,
  sessionAutoPr: true,
  sourcesOptions: true,
});
