/**
 * One model turn: the transcript and tools go out (streamed or not), one assistant message comes
 * back with its text, tool calls and token usage. Tools are never executed here: the agent runs
 * them itself, so each result can be persisted before the next model call.
 */
import {
  type AssistantModelMessage,
  generateText,
  type LanguageModel,
  type ModelMessage,
  streamText,
  type ToolSet,
} from 'ai';
import { describeIssues, type SchemaIssues } from './tool-schemas.ts';

export interface TurnRequest {
  model: LanguageModel;
  system: string;
  messages: ModelMessage[];
  tools: ToolSet;
  stream: boolean;
  signal: AbortSignal;
  timeoutMs: number;
  maxOutputTokens: number | undefined;
  temperature: number | undefined;
}

export interface CallInfo {
  id: string;
  name: string;
  input: unknown;
  /** Why the call cannot be run (unknown tool, arguments that are not JSON). */
  invalid?: string;
}

export interface TurnUsage {
  inputTokens: number;
  outputTokens: number;
  cachedInputTokens: number;
  /** The provider did not report counts; these are estimates. */
  estimated: boolean;
}

export interface TurnResult {
  assistant: AssistantModelMessage;
  text: string;
  calls: CallInfo[];
  usage: TurnUsage;
  finishReason: string;
}

interface RawCall {
  toolCallId: string;
  toolName: string;
  input: unknown;
  invalid?: boolean;
  error?: unknown;
}

interface RawUsage {
  inputTokens: number | undefined;
  outputTokens: number | undefined;
  inputTokenDetails?: { cacheReadTokens: number | undefined };
}

export async function modelTurn(req: TurnRequest): Promise<TurnResult> {
  const signal = AbortSignal.any([req.signal, AbortSignal.timeout(req.timeoutMs)]);
  const common = {
    model: req.model,
    system: req.system,
    messages: req.messages,
    tools: req.tools,
    maxRetries: 0,
    abortSignal: signal,
    ...(req.maxOutputTokens === undefined ? {} : { maxOutputTokens: req.maxOutputTokens }),
    ...(req.temperature === undefined ? {} : { temperature: req.temperature }),
  };
  let text: string;
  let calls: RawCall[];
  let usage: RawUsage;
  let messages: ModelMessage[];
  let finishReason: string;
  if (req.stream) {
    const result = streamText({ ...common, onError: () => {} });
    for await (const part of result.fullStream) {
      if (part.type === 'error') throw part.error;
      if (part.type === 'abort') signal.throwIfAborted();
    }
    [text, calls, usage, messages, finishReason] = await Promise.all([
      result.text,
      result.toolCalls as unknown as Promise<RawCall[]>,
      result.usage,
      result.response.then((r) => r.messages),
      result.finishReason,
    ]);
  } else {
    const result = await generateText(common);
    text = result.text;
    calls = result.toolCalls as unknown as RawCall[];
    usage = result.usage;
    messages = result.response.messages;
    finishReason = result.finishReason;
  }
  const assistant = messages.find((m): m is AssistantModelMessage => m.role === 'assistant') ?? {
    role: 'assistant',
    content: text,
  };
  const sent = JSON.stringify(req.messages).length + req.system.length;
  const estimated = usage.inputTokens === undefined || usage.outputTokens === undefined;
  return {
    assistant,
    text,
    calls: calls.map(toCallInfo),
    usage: {
      inputTokens: usage.inputTokens ?? Math.ceil(sent / 4),
      outputTokens: usage.outputTokens ?? Math.ceil((text.length + JSON.stringify(calls).length) / 4),
      cachedInputTokens: usage.inputTokenDetails?.cacheReadTokens ?? 0,
      estimated,
    },
    finishReason,
  };
}

function toCallInfo(c: RawCall): CallInfo {
  const info: CallInfo = { id: c.toolCallId, name: c.toolName, input: c.input };
  if (c.invalid) {
    const err = c.error as { name?: string; message?: string; cause?: unknown } | undefined;
    const schemaError = zodErrorIn(err);
    info.invalid =
      err?.name === 'AI_NoSuchToolError'
        ? `there is no tool named '${c.toolName}' in this phase`
        : schemaError
          ? `invalid arguments for ${c.toolName}: ${describeIssues(schemaError)}`
          : `the arguments are not valid JSON for ${c.toolName}: ${err?.message ?? 'parse error'}`;
  }
  return info;
}

/** The schema's complaint inside the SDK's InvalidToolInputError (-> TypeValidationError -> ZodError). */
function zodErrorIn(err: unknown): SchemaIssues | undefined {
  for (let e = err, depth = 0; e && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    if (Array.isArray((e as SchemaIssues).issues)) return e as SchemaIssues;
  }
  return undefined;
}
