/**
 * Custom methods are one route each, and what no route serves is answered as before: an unknown
 * verb, no verb, or a body that is not an object, on every collection with custom methods.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type InProcessServer, startInProcess } from '../support/in-process.ts';

describe('custom methods', () => {
  let server: InProcessServer;
  before(async () => {
    server = await startInProcess({ flags: { worker: false } });
  });
  after(async () => {
    await server?.close();
  });

  const post = async (path: string, body = '{}') => {
    const res = await server.stint.app.inject({
      method: 'POST',
      url: `/v1alpha${path}`,
      headers: { 'x-goog-api-key': server.apiKey, 'content-type': 'application/json' },
      payload: body,
    });
    const json = res.json();
    return { status: res.statusCode, message: json.error?.message as string | undefined, body: json };
  };

  const cases: [path: string, body: string, status: number, message: string][] = [
    [
      '/sessions/123:bogus',
      '{}',
      404,
      "Unknown method 'bogus' on sessions; expected approvePlan, sendMessage, archive, unarchive, pause, resume or cancel.",
    ],
    ['/sessions/123:bogus', '[1]', 400, 'Request body must be a JSON object.'],
    ['/sessions/:approvePlan', '{}', 404, 'No route for POST /v1alpha/sessions/:approvePlan.'],
    ['/sessions/123', '{}', 404, 'No route for POST /v1alpha/sessions/123.'],
    [
      '/sessions/123:approvePlanx',
      '{}',
      404,
      "Unknown method 'approvePlanx' on sessions; expected approvePlan, sendMessage, archive, unarchive, pause, resume or cancel.",
    ],
    ['/sessions/123:approvePlan', '[1]', 400, 'Request body must be a JSON object.'],
    [
      '/sessions/123:approvePlan',
      '{"x":1}',
      400,
      'Invalid JSON payload received. Unknown name "x": Cannot find field.',
    ],
    ['/sessions/123:sendMessage', '{}', 400, 'prompt is required.'],
    ['/sessions/123:sendMessage', 'null', 400, 'prompt is required.'],
    ['/webhooks/wh_x:bogus', '{}', 404, "Unknown method 'bogus' on webhooks; expected rotateSecret or test."],
    ['/webhooks/:test', '{}', 404, 'No route for POST /v1alpha/webhooks/:test.'],
    [
      '/webhooks/wh_x/deliveries/dlv_1:bogus',
      '{}',
      404,
      "Unknown method 'bogus' on deliveries; expected redeliver.",
    ],
    ['/admin/keys/k1:bogus', '{}', 404, "Unknown method 'bogus' on keys; expected revoke."],
    // The admin API splits at the first colon, as it always did.
    ['/admin/keys/a:b:revoke', '{}', 404, "Unknown method 'b' on keys; expected revoke."],
    ['/admin/keys/nokey:revoke', '{}', 404, "Key 'nokey' was not found."],
  ];

  for (const [path, body, status, message] of cases) {
    test(`POST ${path} ${body}: ${status}`, async () => {
      const res = await post(path, body);
      assert.equal(res.status, status, JSON.stringify(res.body));
      assert.equal(res.message, message);
    });
  }

  test('a known method on a session id containing colons reaches the method (the id ends at the last colon)', async () => {
    const res = await post('/sessions/a:b:archive');
    assert.equal(res.status, 404);
    assert.match(res.message ?? '', /a:b/);
  });
});
