/**
 * A fake OpenAI-compatible chat-completions server on 127.0.0.1 for tests. It replays a scripted
 * tool-call conversation: the reply to a request is chosen by how many assistant turns the request
 * already carries (so a retried or resumed turn gets the same reply; or, optionally, by order of
 * arrival), answered as SSE when the
 * request asks for `stream: true`, else as one JSON body. Every request is recorded. It checks the
 * conversation the way the real API does (each tool call answered by a tool message right after
 * it) and answers 400 when it is malformed.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeToolCall {
  name: string;
  /** Object (sent as JSON) or raw argument text. */
  args: unknown;
}

export interface FakeReply {
  text?: string;
  toolCalls?: FakeToolCall[];
  /** Defaults: prompt tokens ~ request size / 4, completion tokens 10. */
  usage?: { prompt_tokens: number; completion_tokens: number };
  /** Error answers given to the first attempts of this turn, before the reply. */
  failFirst?: { status: number; headers?: Record<string, string>; message?: string }[];
  /** Always answer with this error (a permanent failure). */
  error?: { status: number; message: string };
  /** Hold the answer until this resolves (crash tests). */
  hold?: Promise<void>;
}

export interface RecordedRequest {
  /** Which scripted turn answered it (assistant messages in the request). */
  turn: number;
  body: any;
  headers: Record<string, string | string[] | undefined>;
  /** The HTTP status answered. */
  status: number;
  /** Arrival time (Date.now()). */
  at: number;
}

export interface FakeOpenAI {
  /** Base URL for STINT_MODEL_BASE_URL, e.g. http://127.0.0.1:40000/v1 */
  baseUrl: string;
  requests: RecordedRequest[];
  /** Called when a request for `turn` arrives (before it is answered). */
  onRequest?: (req: RecordedRequest) => void;
  close(): Promise<void>;
}

export interface FakeOptions {
  /**
   * How a request finds its reply: by the assistant turns it carries (default; a repeated turn gets
   * the same reply), or by order of arrival (for transcripts that shrink, e.g. when compacted).
   */
  turnBy?: 'assistant-count' | 'arrival';
}

export async function startFakeOpenAI(script: FakeReply[], opts: FakeOptions = {}): Promise<FakeOpenAI> {
  const attempts = new Map<number, number>();
  let answered = 0;
  const fake: FakeOpenAI = { baseUrl: '', requests: [], close: async () => {} };
  const server: Server = createServer((req, res) => {
    void handle(req, res).catch((e) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: String(e), type: 'server_error' } }));
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    if (req.method !== 'POST' || !req.url?.endsWith('/chat/completions')) {
      return sendError(res, 404, `no route ${req.method} ${req.url}`);
    }
    const body = JSON.parse(raw);
    const messages: any[] = body.messages ?? [];
    const turn = opts.turnBy === 'arrival' ? answered : messages.filter((m) => m.role === 'assistant').length;
    const record: RecordedRequest = { turn, body, headers: req.headers, status: 200, at: Date.now() };
    fake.requests.push(record);
    fake.onRequest?.(record);
    const problem = checkConversation(messages);
    if (problem) {
      record.status = 400;
      return sendError(res, 400, problem);
    }
    const reply = script[turn];
    if (!reply) {
      record.status = 400;
      return sendError(res, 400, `fake: no scripted reply for turn ${turn}`);
    }
    const attempt = attempts.get(turn) ?? 0;
    attempts.set(turn, attempt + 1);
    const failure = reply.failFirst?.[attempt];
    if (failure) {
      record.status = failure.status;
      return sendError(res, failure.status, failure.message ?? 'try again later', failure.headers);
    }
    if (reply.error) {
      record.status = reply.error.status;
      return sendError(res, reply.error.status, reply.error.message);
    }
    if (reply.hold) await reply.hold;
    if (res.destroyed) return;
    answered++;
    const usage = reply.usage ?? { prompt_tokens: Math.ceil(raw.length / 4), completion_tokens: 10 };
    const toolCalls = (reply.toolCalls ?? []).map((c, i) => ({
      id: `call_${turn}_${i}`,
      type: 'function',
      function: { name: c.name, arguments: typeof c.args === 'string' ? c.args : JSON.stringify(c.args) },
    }));
    if (body.stream) return sendStream(res, body.model, reply.text, toolCalls, usage);
    const message: Record<string, unknown> = { role: 'assistant', content: reply.text ?? null };
    if (toolCalls.length > 0) message.tool_calls = toolCalls;
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({
        id: `chatcmpl-${turn}`,
        object: 'chat.completion',
        created: Math.floor(Date.now() / 1000),
        model: body.model,
        choices: [{ index: 0, message, finish_reason: toolCalls.length > 0 ? 'tool_calls' : 'stop' }],
        usage: { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens },
      }),
    );
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  fake.baseUrl = `http://127.0.0.1:${port}/v1`;
  fake.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return fake;
}

function sendError(
  res: ServerResponse,
  status: number,
  message: string,
  headers: Record<string, string> = {},
) {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify({ error: { message, type: 'invalid_request_error', code: null } }));
}

function sendStream(
  res: ServerResponse,
  model: string,
  text: string | undefined,
  toolCalls: { id: string; type: string; function: { name: string; arguments: string } }[],
  usage: { prompt_tokens: number; completion_tokens: number },
): void {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  const created = Math.floor(Date.now() / 1000);
  const chunk = (delta: unknown, finish: string | null = null) =>
    `data: ${JSON.stringify({
      id: 'chatcmpl-stream',
      object: 'chat.completion.chunk',
      created,
      model,
      choices: [{ index: 0, delta, finish_reason: finish }],
    })}\n\n`;
  let out = chunk({ role: 'assistant', content: '' });
  // Text and arguments arrive in small pieces, as real servers send them.
  for (const piece of pieces(text ?? '', 7)) out += chunk({ content: piece });
  toolCalls.forEach((c, index) => {
    out += chunk({
      tool_calls: [{ index, id: c.id, type: 'function', function: { name: c.function.name, arguments: '' } }],
    });
    for (const piece of pieces(c.function.arguments, 11)) {
      out += chunk({ tool_calls: [{ index, function: { arguments: piece } }] });
    }
  });
  out += chunk({}, toolCalls.length > 0 ? 'tool_calls' : 'stop');
  out += `data: ${JSON.stringify({
    id: 'chatcmpl-stream',
    object: 'chat.completion.chunk',
    created,
    model,
    choices: [],
    usage: { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens },
  })}\n\n`;
  out += 'data: [DONE]\n\n';
  res.end(out);
}

function pieces(s: string, size: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < s.length; i += size) out.push(s.slice(i, i + size));
  return out;
}

/** What the real API refuses: a tool call without its result right after, or a stray result. */
function checkConversation(messages: any[]): string | undefined {
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i];
    if (m.role === 'assistant' && Array.isArray(m.tool_calls) && m.tool_calls.length > 0) {
      const ids = new Set(m.tool_calls.map((c: any) => c.id));
      let j = i + 1;
      while (j < messages.length && messages[j].role === 'tool') {
        ids.delete(messages[j].tool_call_id);
        j++;
      }
      if (ids.size > 0) return `messages[${i}]: tool calls without a result: ${[...ids].join(', ')}`;
      i = j - 1;
    } else if (m.role === 'tool') {
      return `messages[${i}]: a tool message must follow an assistant message with tool_calls`;
    }
  }
  return undefined;
}
