/**
 * The tools `stint mcp` offers an IDE agent, each a call to the Stint API: create, list and read
 * sessions, read and follow their activities, approve plans, send messages, cancel.
 */
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import type { StintHttp } from './stint-http.ts';

// biome-ignore lint/suspicious/noExplicitAny: walks untyped JSON documents
type Json = Record<string, any>;

const WAITING = new Set([
  'AWAITING_PLAN_APPROVAL',
  'AWAITING_USER_FEEDBACK',
  'PAUSED',
  'COMPLETED',
  'FAILED',
]);
const MAX_FOLLOW_SECONDS = 600;

/** `123` or `sessions/123` -> `123`. */
export function sessionId(raw: string): string {
  const id = raw.trim().replace(/^sessions\//, '');
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(id)) throw new Error(`'${raw}' is not a session id or name.`);
  return id;
}

const text = (value: unknown): CallToolResult => ({
  content: [{ type: 'text', text: JSON.stringify(value, null, 2) }],
});

async function run(fn: () => Promise<unknown>): Promise<CallToolResult> {
  try {
    return text(await fn());
  } catch (e) {
    return { isError: true, content: [{ type: 'text', text: (e as Error).message }] };
  }
}

/** A short line per activity, so an agent can read a session at a glance; full JSON is available too. */
export function summarize(a: Json): string {
  if (a.agentMessaged) return `agent: ${a.agentMessaged.agentMessage}`;
  if (a.userMessaged) return `user: ${a.userMessaged.userMessage}`;
  if (a.planGenerated)
    return `plan: ${(a.planGenerated.plan?.steps ?? []).map((s: Json) => s.title).join(' / ')}`;
  if (a.planApproved) return 'plan approved';
  if (a.progressUpdated)
    return `progress: ${a.progressUpdated.title}${a.progressUpdated.description ? ` — ${a.progressUpdated.description}` : ''}`;
  if (a.sessionCompleted) return 'session completed';
  if (a.sessionFailed) return `session failed: ${a.sessionFailed.reason}`;
  return 'activity';
}

const activityView = (a: Json) => ({
  id: a.id,
  createTime: a.createTime,
  originator: a.originator,
  summary: summarize(a),
  activity: a,
});

export function registerStintTools(server: McpServer, api: StintHttp): void {
  const session = z.string().describe('The session id, or its name sessions/ID.');

  server.registerTool(
    'create_session',
    {
      title: 'Create a Stint session',
      description:
        'Delegate a coding task: starts an agent session on a repository (or without one). Returns the session; follow it with follow_session.',
      inputSchema: {
        prompt: z.string().min(1).describe('What the agent should do.'),
        source: z
          .string()
          .optional()
          .describe('A source name such as sources/github/acme/widgets (see list_sources).'),
        startingBranch: z.string().optional().describe('Branch to start from (default: the source default).'),
        title: z.string().optional(),
        requirePlanApproval: z.boolean().optional().describe('Wait for approve_plan before working.'),
        autoCreatePullRequest: z.boolean().optional().describe('Open a pull request with the result.'),
      },
    },
    (args) =>
      run(() => {
        const body: Json = { prompt: args.prompt };
        if (args.title !== undefined) body.title = args.title;
        if (args.requirePlanApproval !== undefined) body.requirePlanApproval = args.requirePlanApproval;
        if (args.autoCreatePullRequest) body.automationMode = 'AUTO_CREATE_PR';
        if (args.source !== undefined) {
          body.sourceContext = { source: args.source };
          if (args.startingBranch)
            body.sourceContext.githubRepoContext = { startingBranch: args.startingBranch };
        }
        return api.request('POST', '/sessions', body);
      }),
  );

  server.registerTool(
    'list_sessions',
    {
      title: 'List Stint sessions',
      description: 'Sessions, newest first.',
      inputSchema: {
        state: z.string().optional().describe('Only this state, e.g. IN_PROGRESS or COMPLETED.'),
        pageSize: z.number().int().min(1).max(100).optional(),
        pageToken: z.string().optional(),
      },
      annotations: { readOnlyHint: true },
    },
    (args) =>
      run(async () => {
        const q = new URLSearchParams();
        if (args.state) q.set('filter', `state = ${args.state}`);
        if (args.pageSize) q.set('pageSize', String(args.pageSize));
        if (args.pageToken) q.set('pageToken', args.pageToken);
        const page = await api.request<Json>('GET', `/sessions?${q}`);
        return {
          sessions: (page.sessions ?? []).map((s: Json) => ({
            id: s.id,
            title: s.title,
            state: s.state,
            createTime: s.createTime,
            url: s.url,
          })),
          ...(page.nextPageToken ? { nextPageToken: page.nextPageToken } : {}),
        };
      }),
  );

  server.registerTool(
    'get_session',
    {
      title: 'Get a Stint session',
      description: 'The session with its state and outputs (the final changeSet or pull request).',
      inputSchema: { session },
      annotations: { readOnlyHint: true },
    },
    (args) => run(() => api.request('GET', `/sessions/${sessionId(args.session)}`)),
  );

  server.registerTool(
    'list_activities',
    {
      title: "Read a session's activities",
      description: 'What happened in a session, oldest first; pass afterActivityId to read only what is new.',
      inputSchema: {
        session,
        afterActivityId: z.string().optional().describe('Only activities after this one.'),
        pageSize: z.number().int().min(1).max(100).optional(),
        pageToken: z.string().optional(),
      },
      annotations: { readOnlyHint: true },
    },
    (args) =>
      run(async () => {
        const id = sessionId(args.session);
        const q = new URLSearchParams();
        if (args.afterActivityId) {
          const a = await api.request<Json>(
            'GET',
            `/sessions/${id}/activities/${encodeURIComponent(args.afterActivityId)}`,
          );
          q.set('filter', `create_time>"${a.createTime}"`);
        }
        if (args.pageSize) q.set('pageSize', String(args.pageSize));
        if (args.pageToken) q.set('pageToken', args.pageToken);
        const page = await api.request<Json>('GET', `/sessions/${id}/activities?${q}`);
        return {
          activities: (page.activities ?? []).map(activityView),
          ...(page.nextPageToken ? { nextPageToken: page.nextPageToken } : {}),
        };
      }),
  );

  server.registerTool(
    'follow_session',
    {
      title: 'Follow a Stint session',
      description:
        'Waits (on the live stream) for new activities until the session needs you (plan approval, a question, paused) or has ended, or until the timeout; returns them with the session state. Call again with lastActivityId to continue.',
      inputSchema: {
        session,
        afterActivityId: z
          .string()
          .optional()
          .describe('Continue after this activity (lastActivityId of the previous call).'),
        timeoutSeconds: z.number().int().min(1).max(MAX_FOLLOW_SECONDS).optional().describe('Default 120.'),
      },
      annotations: { readOnlyHint: true },
    },
    (args) =>
      run(() => follow(api, sessionId(args.session), args.afterActivityId, args.timeoutSeconds ?? 120)),
  );

  server.registerTool(
    'approve_plan',
    {
      title: "Approve a session's plan",
      description: 'Lets a session waiting in AWAITING_PLAN_APPROVAL start working.',
      inputSchema: { session },
    },
    (args) => run(() => api.request('POST', `/sessions/${sessionId(args.session)}:approvePlan`, {})),
  );

  server.registerTool(
    'send_message',
    {
      title: 'Send a message to the agent',
      description: 'Answers a question, adds instructions, or re-opens a completed session with a follow-up.',
      inputSchema: { session, message: z.string().min(1) },
    },
    (args) =>
      run(() =>
        api.request('POST', `/sessions/${sessionId(args.session)}:sendMessage`, { prompt: args.message }),
      ),
  );

  server.registerTool(
    'cancel_session',
    {
      title: 'Cancel a session',
      description: 'Stops the agent and its commands; the session ends FAILED with reason "cancelled".',
      inputSchema: { session },
      annotations: { destructiveHint: true },
    },
    (args) => run(() => api.request('POST', `/sessions/${sessionId(args.session)}:cancel`, {})),
  );

  server.registerTool(
    'list_sources',
    {
      title: 'List repositories',
      description: 'The sources (repositories) sessions can work on.',
      inputSchema: {},
      annotations: { readOnlyHint: true },
    },
    () => run(() => api.request('GET', '/sources?pageSize=100')),
  );
}

/** Reads the activity stream until the session waits or ends, or the time is up. */
export async function follow(
  api: StintHttp,
  id: string,
  after: string | undefined,
  timeoutSeconds: number,
): Promise<Json> {
  const deadline = Date.now() + timeoutSeconds * 1000;
  const seen: Json[] = [];
  let last = after;
  let state = '';
  while (Date.now() < deadline) {
    const round = new AbortController();
    // Each round listens until it goes quiet for a moment, then checks whether the session waits.
    let quiet: NodeJS.Timeout | undefined;
    const arm = () => {
      clearTimeout(quiet);
      quiet = setTimeout(() => round.abort(), Math.max(1, Math.min(1500, deadline - Date.now())));
    };
    arm();
    let ended = false;
    try {
      for await (const m of api.stream(`/sessions/${id}/activities:stream`, last, round.signal)) {
        arm();
        const a = JSON.parse(m.data) as Json;
        seen.push(activityView(a));
        last = m.id ?? a.id;
      }
      ended = !round.signal.aborted;
    } finally {
      clearTimeout(quiet);
      round.abort();
    }
    const s = await api.request<Json>('GET', `/sessions/${id}`);
    state = s.state;
    if (ended || WAITING.has(state)) break;
  }
  return {
    state,
    activities: seen,
    ...(last ? { lastActivityId: last } : {}),
    done: state === 'COMPLETED' || state === 'FAILED',
  };
}
