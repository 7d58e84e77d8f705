/**
 * Keeps the transcript inside the model's context window. When it nears the limit, old tool
 * outputs are elided first (the model can call the tool again); if that is not enough, the oldest
 * turns are replaced by a short digest of what was done. The task (messages[0]) and the most
 * recent turns always stay, and every tool call keeps its result right after it.
 */
import type { AssistantModelMessage, ModelMessage, ToolModelMessage } from 'ai';
import { oneLine } from '../tools/truncate.ts';

export const DIGEST_MARK =
  '[Stint: the earlier part of this conversation was compacted to fit the context window.]';
const ELIDED = '[Output of an earlier call, elided to save context. Call the tool again if you need it.]';
const KEEP_RECENT_MESSAGES = 6;
const KEEP_GROUPS = 4;
const MAX_DIGEST_CHARS = 6000;

/** A rough token count (about 3.5 characters a token in JSON-heavy text). */
export function estimateTokens(messages: readonly ModelMessage[]): number {
  return Math.ceil(JSON.stringify(messages).length / 3.5);
}

/** The transcript shrunk to about `targetTokens`, or undefined when there was nothing to shrink. */
export function compact(messages: readonly ModelMessage[], targetTokens: number): ModelMessage[] | undefined {
  let changed = false;
  // 1. Elide the bulk of old tool outputs and reasoning.
  const out = messages.map((m, i) => {
    if (i === 0 || i >= messages.length - KEEP_RECENT_MESSAGES) return m;
    const slim = slimMessage(m);
    if (slim !== m) changed = true;
    return slim;
  });
  if (estimateTokens(out) <= targetTokens) return changed ? out : undefined;

  // 2. Replace the oldest turns by a digest.
  const task = out[0]!;
  let rest = out.slice(1);
  const digest: string[] = [];
  if (isDigest(rest[0])) {
    digest.push(digestBody(rest[0]!));
    rest = rest.slice(1);
  }
  const groups = groupTurns(rest);
  let dropped = 0;
  while (groups.length - dropped > KEEP_GROUPS) {
    const kept = groups.slice(dropped).flat();
    if (estimateTokens([task, ...kept]) + Math.ceil(digestLength(digest) / 3.5) <= targetTokens) break;
    digest.push(...describeGroup(groups[dropped]!));
    dropped++;
  }
  if (dropped === 0) return changed ? out : undefined;
  const body = digest.join('\n');
  const trimmed = body.length > MAX_DIGEST_CHARS ? `…\n${body.slice(body.length - MAX_DIGEST_CHARS)}` : body;
  const note: ModelMessage = { role: 'user', content: `${DIGEST_MARK}\nWhat happened before:\n${trimmed}` };
  return [task, note, ...groups.slice(dropped).flat()];
}

function isDigest(m: ModelMessage | undefined): boolean {
  return m?.role === 'user' && typeof m.content === 'string' && m.content.startsWith(DIGEST_MARK);
}

function digestBody(m: ModelMessage): string {
  return (m.content as string).slice(DIGEST_MARK.length).replace(/^\nWhat happened before:\n/, '');
}

function digestLength(lines: string[]): number {
  return lines.reduce((n, l) => n + l.length + 1, 0);
}

function slimMessage(m: ModelMessage): ModelMessage {
  if (m.role === 'tool') {
    let slimmed = false;
    const content = m.content.map((p) => {
      if (p.type !== 'tool-result') return p;
      if (JSON.stringify(p.output).length <= 400) return p;
      slimmed = true;
      return { ...p, output: { type: 'text' as const, value: ELIDED } };
    });
    return slimmed ? ({ ...m, content } as ToolModelMessage) : m;
  }
  if (m.role === 'assistant' && Array.isArray(m.content) && m.content.some((p) => p.type === 'reasoning')) {
    return { ...m, content: m.content.filter((p) => p.type !== 'reasoning') } as AssistantModelMessage;
  }
  return m;
}

/** Turns: an assistant message with the tool results after it, or a user message. */
function groupTurns(messages: ModelMessage[]): ModelMessage[][] {
  const groups: ModelMessage[][] = [];
  for (const m of messages) {
    if (m.role === 'tool' && groups.length > 0) groups.at(-1)!.push(m);
    else groups.push([m]);
  }
  return groups;
}

function describeGroup(group: ModelMessage[]): string[] {
  const lines: string[] = [];
  for (const m of group) {
    if (m.role === 'user') {
      const text =
        typeof m.content === 'string'
          ? m.content
          : m.content.map((p) => ('text' in p ? p.text : '')).join(' ');
      lines.push(`- user: ${oneLine(text, 300)}`);
    } else if (m.role === 'assistant') {
      const parts = typeof m.content === 'string' ? [{ type: 'text' as const, text: m.content }] : m.content;
      for (const p of parts) {
        if (p.type === 'text' && p.text.trim() !== '') lines.push(`- you said: ${oneLine(p.text, 300)}`);
        if (p.type === 'tool-call')
          lines.push(`- you called ${p.toolName}(${oneLine(JSON.stringify(p.input), 160)})`);
      }
    }
  }
  return lines;
}
