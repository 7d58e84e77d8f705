/**
 * The live-delivery baseline: a bare node:http server-sent-events broadcaster (run in its own process).
 * GET any path opens a stream; POST /start then broadcasts BARE_EVENTS events, one every
 * BARE_INTERVAL_MS, each an activity-like JSON stamped with the wall clock (µs) just before it is
 * written to every open stream, and ends the streams after the last one.
 */
import { createServer, type ServerResponse } from 'node:http';
import { formatTimestamp, nowMicros } from '../src/domain/time.ts';

const events = Number(process.env.BARE_EVENTS ?? '30');
const intervalMs = Number(process.env.BARE_INTERVAL_MS ?? '100');
const open = new Set<ServerResponse>();
let started = false;

function broadcast(i: number): void {
  const id = `e${i}`;
  const data = JSON.stringify({
    name: `sessions/bare/activities/${id}`,
    id,
    originator: 'agent',
    description: 'bare baseline',
    createTime: formatTimestamp(nowMicros()),
    agentMessaged: { agentMessage: `m${i}` },
  });
  const text = `id: ${id}\ndata: ${data}\n\n`;
  for (const res of open) res.write(text);
  if (i + 1 < events) setTimeout(() => broadcast(i + 1), intervalMs);
  else for (const res of open) res.end();
}

const server = createServer((req, res) => {
  if (req.method === 'POST' && req.url === '/start') {
    res.writeHead(started ? 409 : 204).end();
    if (!started) {
      started = true;
      broadcast(0);
    }
    return;
  }
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    connection: 'keep-alive',
  });
  res.write('retry: 2000\n\n');
  open.add(res);
  res.once('close', () => open.delete(res));
});
server.listen({ port: 0, host: '127.0.0.1', backlog: 4096 }, () => {
  const addr = server.address();
  process.stdout.write(`listening on http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}\n`);
});
process.on('SIGTERM', () => {
  for (const res of open) res.destroy();
  server.close(() => process.exit(0));
});
