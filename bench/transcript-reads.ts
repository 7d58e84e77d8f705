/**
 * GET session cost against the length of the agent's transcript (issue #19): two sessions, one
 * whose LLM transcript holds 1 turn (the baseline) and one with 1,000 turns (each an assistant
 * tool call and a ~2 KB tool result, committed one step at a time as the runner does), read with
 * GET /v1alpha/sessions/{id} over loopback, alternately. The transcript lives in session_turns and
 * no session read touches it, so the two should cost the same.
 */
import { newSessionId } from '../src/domain/ids.ts';
import { nowMicros } from '../src/domain/time.ts';
import { TranscriptLog } from '../src/runner/transcript-log.ts';
import { startInProcess } from '../test/support/in-process.ts';
import { api } from '../test/support/server.ts';
import { log, percentile, round, type Section } from './lib.ts';

function turn(i: number) {
  const id = `call_${i}`;
  return [
    {
      role: 'assistant',
      content: [
        { type: 'tool-call', toolCallId: id, toolName: 'read_file', input: { path: `src/f${i}.ts` } },
      ],
    },
    {
      role: 'tool',
      content: [
        {
          type: 'tool-result',
          toolCallId: id,
          toolName: 'read_file',
          output: { type: 'text', value: `${i}\t${'x'.repeat(2000)}` },
        },
      ],
    },
  ];
}

export async function benchTranscriptReads(opts: { turns: number; samples: number }): Promise<Section> {
  const server = await startInProcess({ flags: { worker: false } });
  try {
    const { store } = server.stint;
    const tenantId = (await store.findApiKeyByHash(
      (await import('node:crypto')).createHash('sha256').update(server.apiKey).digest('hex'),
    ))!.tenantId;
    const make = async (turns: number) => {
      const now = nowMicros();
      const id = newSessionId();
      await store.createSession(
        {
          id,
          tenantId,
          prompt: 'read the files',
          title: 'read the files',
          requirePlanApproval: false,
          automationMode: 'AUTOMATION_MODE_UNSPECIFIED',
          state: 'IN_PROGRESS',
          archived: false,
          outputs: [],
          createTime: now,
          updateTime: now,
        },
        { wantsWork: false },
        [],
      );
      const transcript = new TranscriptLog();
      const cp = {
        v: 1,
        phase: 'working',
        messages: [{ role: 'user', content: 'read the files' }] as unknown[],
      };
      await store.mutateSession(id, () => ({ change: { transcript: transcript.entry(cp) } }));
      for (let i = 0; i < turns; i++) {
        cp.messages.push(...turn(i));
        const entry = transcript.entry(cp);
        await store.mutateSession(id, () => ({
          change: {
            transcript: entry,
            activities: [
              { originator: 'agent', content: { kind: 'agentMessaged', agentMessage: `turn ${i}` } },
            ],
          },
        }));
      }
      return id;
    };
    log(`transcript reads: writing 1 and ${opts.turns} turns`);
    const short = await make(1);
    const long = await make(opts.turns);
    const times = new Map<string, number[]>([
      [short, []],
      [long, []],
    ]);
    for (let i = 0; i < opts.samples * 2; i++) {
      const id = i % 2 === 0 ? short : long;
      const start = performance.now();
      const res = await api(server, 'GET', `/sessions/${id}`);
      times.get(id)!.push(performance.now() - start);
      if (res.status !== 200) throw new Error(`GET ${id}: ${res.status}`);
    }
    const p = (id: string, q: number) => percentile(times.get(id)!, q);
    return {
      title: `GET session with a 1,000-turn agent transcript`,
      figures: [
        {
          name: `GET /sessions/{id}, transcript of ${opts.turns} turns, p50`,
          value: round(p(long, 50), 3),
          unit: 'ms',
          baselineName: 'transcript of 1 turn',
          baseline: round(p(short, 50), 3),
          ratio: round(p(long, 50) / p(short, 50), 2),
          target: '≤ 1.5 (flat)',
          met: p(long, 50) / p(short, 50) <= 1.5,
        },
        {
          name: `GET /sessions/{id}, transcript of ${opts.turns} turns, p99`,
          value: round(p(long, 99), 3),
          unit: 'ms',
          baselineName: 'transcript of 1 turn',
          baseline: round(p(short, 99), 3),
          ratio: round(p(long, 99) / p(short, 99), 2),
        },
      ],
      notes: [
        `In-process server on SQLite, ${opts.samples} sequential GETs of each session, alternating, over loopback. Each turn is an assistant tool call and a ~2 KB tool result, committed as one delta row, so the long session's transcript is about ${Math.round((opts.turns * 2.3) / 1024)} MB.`,
        'Before, the transcript was a JSON column of the session row, parsed by every GET, list, stream page and mutation, and rewritten whole by every step.',
      ],
    };
  } finally {
    await server.close();
  }
}
