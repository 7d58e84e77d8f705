// A minimal server-sent-events reader for tests: collects events and comment lines until a
// condition holds, the stream ends, or a deadline passes.
export interface SseEventRead {
  id?: string;
  event?: string;
  data: string;
}

export interface SseRead {
  status: number;
  events: SseEventRead[];
  comments: string[];
  /** The server ended the stream (as opposed to us stopping or the deadline). */
  ended: boolean;
}

export async function readSse(
  url: string,
  opts: {
    apiKey: string;
    lastEventId?: string;
    /** Stop (disconnect) once this returns true. */
    until?: (r: SseRead) => boolean;
    timeoutMs?: number;
  },
): Promise<SseRead> {
  const stop = new AbortController();
  // The deadline bounds a hang (a busy machine is slow); the read ends as soon as `until` holds.
  const timer = setTimeout(() => stop.abort(), opts.timeoutMs ?? 120_000);
  const out: SseRead = { status: 0, events: [], comments: [], ended: false };
  try {
    const res = await fetch(url, {
      headers: {
        'x-goog-api-key': opts.apiKey,
        accept: 'text/event-stream',
        ...(opts.lastEventId ? { 'last-event-id': opts.lastEventId } : {}),
      },
      signal: stop.signal,
    });
    out.status = res.status;
    if (!res.ok || !res.body || res.status === 204) {
      out.ended = true;
      return out;
    }
    const decoder = new TextDecoder();
    let buf = '';
    let cur: SseEventRead = { data: '' };
    let has = false;
    for await (const chunk of res.body) {
      buf += decoder.decode(chunk as Uint8Array, { stream: true });
      let nl = buf.indexOf('\n');
      while (nl >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        nl = buf.indexOf('\n');
        if (line === '') {
          if (has) out.events.push(cur);
          cur = { data: '' };
          has = false;
          if (opts.until?.(out)) {
            stop.abort();
            return out;
          }
        } else if (line.startsWith(':')) {
          out.comments.push(line.slice(1).trim());
        } else {
          const i = line.indexOf(':');
          const field = line.slice(0, i);
          const value = line.slice(i + 1).replace(/^ /, '');
          if (field === 'data') {
            cur.data = has ? `${cur.data}\n${value}` : value;
            has = true;
          } else if (field === 'id') cur.id = value;
          else if (field === 'event') cur.event = value;
        }
      }
    }
    out.ended = true;
    return out;
  } catch (e) {
    if (stop.signal.aborted) return out;
    throw e;
  } finally {
    clearTimeout(timer);
  }
}
