/**
 * The session page's live feed, in process: activities written by "another process" (a service with its
 * own SessionEvents, so no wake-up reaches the feed) still arrive through the poll fallback.
 */
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { rmSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { after, before, test } from 'node:test';
import { ScriptedAgent } from '../../src/agents/scripted/scripted-agent.ts';
import { SessionEvents } from '../../src/services/events.ts';
import { type Principal, SessionService } from '../../src/services/session-service.ts';
import { SourceService } from '../../src/services/source-service.ts';
import { openSqliteStore } from '../../src/store/sqlite/open.ts';
import type { Store } from '../../src/store/store.ts';
import { LiveStreams } from '../../src/web/live/session-stream.ts';
import { makeTempDir, waitUntil } from '../support/server.ts';

class FakeResponse extends EventEmitter {
  text = '';
  writableEnded = false;
  write(chunk: string): boolean {
    this.text += chunk;
    return true;
  }
  end(): void {
    this.writableEnded = true;
  }
  /** Parsed events so far. */
  events(): { event: string; id?: string; data: any }[] {
    return this.text
      .split('\n\n')
      .filter((b) => b.includes('event: '))
      .map((block) => {
        const get = (k: string) =>
          /^(.*)$/m
            .exec(block.split('\n').find((l) => l.startsWith(`${k}: `)) ?? '')?.[1]
            ?.slice(k.length + 2);
        return { event: get('event')!, id: get('id'), data: JSON.parse(get('data') ?? 'null') };
      });
  }
}

const who: Principal = { tenantId: 'acme', keyId: 'k', role: 'member' };
let dir: string;
let store: Store;
let writer: SessionService;
let reader: SessionService;
let readerEvents: SessionEvents;

before(async () => {
  dir = makeTempDir('stint-web-live-');
  store = await openSqliteStore({ dataDir: dir });
  await store.ensureTenant('acme', 'acme');
  const sources = new SourceService(store);
  const agent = new ScriptedAgent();
  writer = new SessionService(store, sources, agent, new SessionEvents(), { maxPromptBytes: 10_000 });
  readerEvents = new SessionEvents();
  reader = new SessionService(store, sources, agent, readerEvents, { maxPromptBytes: 10_000 });
});
after(async () => {
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

test('activities from another process arrive by polling, resume after the last seq, end with the session', async () => {
  const s = await writer.create(who, { prompt: 'watch me' });
  const streams = new LiveStreams(reader, readerEvents, { pollMs: 50 });
  const res = new FakeResponse();
  const done = streams.run(res as unknown as ServerResponse, {
    who,
    sessionId: s.id,
    afterSeq: 0,
    revs: new Map(),
    csrf: 'tok',
  });
  await waitUntil(() => res.events().some((e) => e.event === 'session'), 5000);
  const first = res.events().find((e) => e.event === 'session')!;
  assert.equal(first.data.state, 'QUEUED');
  assert.deepEqual(Object.keys(first.data.regions).sort(), [
    'attention',
    'composer',
    'controls',
    'outputs',
    'status',
  ]);

  await writer.sendMessage(who, s.id, 'hello <from> elsewhere');
  const act = (await waitUntil(() => res.events().find((e) => e.event === 'activity'), 5000))!;
  assert.equal(act.id, '1');
  assert.equal(act.data.seq, 1);
  assert.match(act.data.html, /hello &lt;from&gt; elsewhere/);

  // A reconnecting browser that saw seq 1 gets only what came after; regions it shows are not resent.
  const again = new FakeResponse();
  const revs = new Map(Object.entries(first.data.regions).map(([k, v]: [string, any]) => [k, v.rev]));
  const second = streams.run(again as unknown as ServerResponse, {
    who,
    sessionId: s.id,
    afterSeq: 1,
    revs,
    csrf: 'tok',
  });
  await writer.sendMessage(who, s.id, 'second');
  await waitUntil(() => again.events().some((e) => e.event === 'activity'), 5000);
  assert.deepEqual(
    again
      .events()
      .filter((e) => e.event === 'activity')
      .map((e) => e.data.seq),
    [2],
  );

  await writer.cancel(who, s.id);
  await Promise.all([done, second]);
  const last = res.events();
  assert.equal(last[last.length - 1]!.event, 'end');
  const finalSession = last.filter((e) => e.event === 'session').pop()!;
  assert.equal(finalSession.data.state, 'FAILED');
  assert.match(finalSession.data.regions.attention.html, /cancelled/);
  assert.ok(res.writableEnded);
});

test('a deleted session ends the feed with `gone`; closing the connection ends it too', async () => {
  const streams = new LiveStreams(reader, readerEvents, { pollMs: 50 });
  const s = await writer.create(who, { prompt: 'delete me' });
  const res = new FakeResponse();
  const run = streams.run(res as unknown as ServerResponse, {
    who,
    sessionId: s.id,
    afterSeq: 0,
    revs: new Map(),
    csrf: 't',
  });
  await waitUntil(() => res.events().length > 0, 5000);
  await writer.delete(who, s.id);
  await run;
  assert.equal(res.events().pop()!.event, 'gone');

  const t = await writer.create(who, { prompt: 'leave me' });
  const left = new FakeResponse();
  const run2 = streams.run(left as unknown as ServerResponse, {
    who,
    sessionId: t.id,
    afterSeq: 0,
    revs: new Map(),
    csrf: 't',
  });
  await waitUntil(() => left.events().length > 0, 5000);
  left.emit('close');
  await run2;
  streams.closeAll();
});
