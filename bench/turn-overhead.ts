/**
 * 6. Orchestration overhead per agent turn (issue #11): `stint serve --agent llm` against the fake
 * OpenAI-compatible server, which answers instantly, for a conversation of N turns that each make
 * one cheap read_file call, against a minimal loop in this process that talks to the same kind of
 * fake server through the same `ai` SDK call (streamText, same tools, same system prompt), runs the
 * same tool in-process and persists nothing. Both sides are timed by the fake server's request
 * arrivals, so each turn is: the model's answer, the tool call, (Stint: the transcript and the
 * activity committed) and the next request.
 */
import { rmSync } from 'node:fs';
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import { type ModelMessage, streamText, type ToolResultPart } from 'ai';
import { approvedResult, systemPrompt } from '../src/agents/llm/prompts.ts';
import { toolsFor } from '../src/agents/llm/tool-set.ts';
import { writeFileInside } from '../src/agents/tools/files.ts';
import { readTextWindow } from '../src/agents/tools/read-text.ts';
import type { Session } from '../src/domain/session.ts';
import { type FakeOpenAI, type FakeReply, startFakeOpenAI } from '../test/support/fake-openai.ts';
import { api, makeTempDir, type StartedServer, startServer, waitUntil } from '../test/support/server.ts';
import { log, round, SERVER_ENTRY, type Section } from './lib.ts';

const FILE = 'notes.txt';
const LINES = 60;
const PROMPT = 'Read notes.txt a few lines at a time and summarise it.';
const PLAN = [{ title: 'Read the notes', description: 'Read notes.txt in windows and summarise it.' }];
const MAX_RESULT_CHARS = 30_000;
/** Turns before the measured ones: the plan and the write that creates the file. */
const PREFIX = 2;
const ROUNDS = 3;

/** propose_plan, write_file, `turns` read_file calls (varied windows, so no loop is detected), an answer. */
function script(turns: number): FakeReply[] {
  const content = Array.from({ length: LINES }, (_, i) => `note ${i + 1}: nothing to see here`).join('\n');
  return [
    { toolCalls: [{ name: 'propose_plan', args: { steps: PLAN } }] },
    { toolCalls: [{ name: 'write_file', args: { path: FILE, content: `${content}\n` } }] },
    ...Array.from({ length: turns }, (_, i) => ({
      toolCalls: [{ name: 'read_file', args: { path: FILE, offset: (i % (LINES - 5)) + 1, limit: 5 } }],
    })),
    { text: 'Done: notes.txt holds 60 notes with nothing to see.' },
  ];
}

/** Arrival times (performance.now()) of the first request of each scripted turn. */
function stamp(fake: FakeOpenAI): Map<number, number> {
  const at = new Map<number, number>();
  fake.onRequest = (r) => {
    if (!at.has(r.turn)) at.set(r.turn, performance.now());
  };
  return at;
}

/** The final request must carry every read's result, none of them an error (else the turns were not alike). */
function checkReads(fake: FakeOpenAI, turns: number, who: string): void {
  const last = fake.requests.find((r) => r.turn === PREFIX + turns);
  const tool = (last?.body.messages ?? [])
    .filter((m: any) => m.role === 'tool')
    .map((m: any) => String(m.content));
  const reads = tool.slice(PREFIX).filter((c: string) => /^\s+\d+\tnote \d+/.test(c));
  if (reads.length !== turns) {
    throw new Error(`turn-overhead: ${who} got ${reads.length}/${turns} good reads; e.g. ${tool.at(-1)}`);
  }
}

function perTurn(at: Map<number, number>, turns: number): number {
  const first = at.get(PREFIX);
  const last = at.get(PREFIX + turns);
  if (first === undefined || last === undefined) throw new Error('turn-overhead: missing request timestamps');
  return (last - first) / turns;
}

async function stintRun(server: StartedServer, fake: FakeOpenAI, turns: number): Promise<number> {
  const at = stamp(fake);
  fake.requests.length = 0;
  const created = await api(server, 'POST', '/sessions', { prompt: PROMPT, requirePlanApproval: false });
  if (created.status !== 200) throw new Error(`create session: ${JSON.stringify(created.body)}`);
  const id = created.body.id as string;
  // No polling while the turns run: wait for the final request, then for the session to complete.
  await waitUntil(() => at.has(PREFIX + turns) || fake.requests.some((r) => r.status !== 200), 60_000, 20);
  const bad = fake.requests.find((r) => r.status !== 200);
  if (bad) throw new Error(`turn-overhead: the fake model answered ${bad.status} at turn ${bad.turn}`);
  const done = await waitUntil(async () => {
    const s = (await api(server, 'GET', `/sessions/${id}`)).body;
    return ['COMPLETED', 'FAILED', 'PAUSED'].includes(s.state) ? s : undefined;
  }, 30_000);
  if (done.state !== 'COMPLETED') throw new Error(`turn-overhead: session ended ${done.state}`);
  checkReads(fake, turns, 'stint');
  return perTurn(at, turns);
}

/** The same conversation with no orchestration: the SDK call, the tool, the transcript in memory. */
async function baselineRun(fake: FakeOpenAI, turns: number): Promise<number> {
  const at = stamp(fake);
  fake.requests.length = 0;
  const dir = makeTempDir('stint-bench-turn-');
  try {
    const model = createOpenAICompatible({
      name: 'openai-compatible',
      baseURL: fake.baseUrl,
      apiKey: 'sk-bench',
      includeUsage: true,
    }).chatModel('fake');
    const session = { sourceContext: undefined } as unknown as Session;
    const messages: ModelMessage[] = [{ role: 'user', content: PROMPT }];
    let phase: 'planning' | 'working' = 'planning';
    for (let i = 0; i < turns + PREFIX + 1; i++) {
      const result = streamText({
        model,
        system: systemPrompt(session, phase, phase === 'working' ? PLAN : undefined),
        messages,
        tools: toolsFor(phase),
        maxRetries: 0,
        onError: () => {},
      });
      for await (const part of result.fullStream) if (part.type === 'error') throw part.error;
      const [calls, response] = await Promise.all([result.toolCalls, result.response]);
      messages.push(...response.messages);
      if (calls.length === 0) break;
      const content: ToolResultPart[] = [];
      for (const c of calls) {
        const input = c.input as { path: string; content: string; offset: number; limit: number };
        let value: string;
        if (c.toolName === 'propose_plan') {
          phase = 'working';
          value = approvedResult(false);
        } else if (c.toolName === 'write_file') {
          await writeFileInside(dir, input.path, input.content);
          value = `Created ${input.path} (${LINES} lines).`;
        } else {
          value = await readTextWindow(dir, input.path, {
            offset: input.offset,
            limit: input.limit,
            maxChars: MAX_RESULT_CHARS,
          });
        }
        content.push({
          type: 'tool-result',
          toolCallId: c.toolCallId,
          toolName: c.toolName,
          output: { type: 'text', value },
        });
      }
      messages.push({ role: 'tool', content });
    }
    checkReads(fake, turns, 'baseline');
    return perTurn(at, turns);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function benchTurnOverhead(opts: { turns: number }): Promise<Section> {
  const turns = Math.max(1, Math.floor(opts.turns));
  const stintFake = await startFakeOpenAI(script(turns));
  const baseFake = await startFakeOpenAI(script(turns));
  let server: StartedServer | undefined;
  try {
    server = await startServer({
      entry: SERVER_ENTRY,
      env: {
        STINT_LOG_LEVEL: 'error',
        STINT_AGENT: 'llm',
        STINT_MODEL: 'openai-compatible:fake',
        STINT_MODEL_BASE_URL: stintFake.baseUrl,
        STINT_MODEL_API_KEY: 'sk-bench',
        STINT_BUDGET_TURNS: '0',
        STINT_BUDGET_TOKENS: '0',
        STINT_BUDGET_MINUTES: '0',
      },
    });
    log(`turn overhead: warming up (${turns} turns each side)`);
    await baselineRun(baseFake, turns);
    await stintRun(server, stintFake, turns);
    // Alternate the two and keep each one's best round, so a burst of load elsewhere penalises neither alone.
    const stints: number[] = [];
    const bases: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      log(`turn overhead: round ${r + 1}/${ROUNDS}`);
      bases.push(await baselineRun(baseFake, turns));
      stints.push(await stintRun(server, stintFake, turns));
    }
    const stint = Math.min(...stints);
    const base = Math.min(...bases);
    const overhead = stint - base;
    return {
      title: 'Orchestration overhead per agent turn (instant fake model)',
      figures: [
        {
          name: 'Stint, per model turn',
          value: round(stint, 2),
          unit: 'ms',
          baselineName: 'bare `ai` SDK loop',
          baseline: round(base, 2),
          ratio: round(stint / base, 2),
        },
        { name: 'bare `ai` SDK loop, per model turn', value: round(base, 2), unit: 'ms' },
        {
          name: 'overhead per turn',
          value: round(overhead, 2),
          unit: 'ms',
          target: '< 5 ms',
          met: overhead < 5,
        },
      ],
      notes: [
        `${turns} read_file turns per session (after a propose_plan and a write_file turn, not counted), timed by the fake model server from the first counted request to the final one; ${ROUNDS} alternating rounds after a warm-up, best round of each side (all rounds, ms per turn: Stint ${stints.map((v) => round(v, 2)).join(', ')}; baseline ${bases.map((v) => round(v, 2)).join(', ')}).`,
        'Stint: `stint serve --agent llm`, repoless session, streaming, no plan approval; each turn includes the model round trip, the tool, and the checkpoint (transcript) committed with its activity. Baseline: the same streamText call, tools and system prompt from the bench process (which also hosts the fake server), the same tool run in-process, nothing persisted.',
      ],
    };
  } finally {
    await server?.cleanup();
    await stintFake.close();
    await baseFake.close();
  }
}
