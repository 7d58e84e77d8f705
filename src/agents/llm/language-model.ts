/** The `ai` SDK model for a ModelConfig: OpenAI-compatible servers (and Ollama), OpenAI, Anthropic, Google. */
import { createAnthropic } from '@ai-sdk/anthropic';
import { createGoogleGenerativeAI } from '@ai-sdk/google';
import { createOpenAI } from '@ai-sdk/openai';
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import type { LanguageModel } from 'ai';
import type { ModelConfig } from './model-config.ts';

export function createLanguageModel(c: ModelConfig): LanguageModel {
  const base = c.baseUrl === undefined ? {} : { baseURL: c.baseUrl };
  const key = c.apiKey === undefined ? {} : { apiKey: c.apiKey };
  switch (c.provider) {
    case 'openai-compatible':
    case 'ollama':
      return createOpenAICompatible({
        name: c.provider,
        baseURL: c.baseUrl!,
        ...key,
        // Token counts in streamed answers too (stream_options.include_usage).
        includeUsage: true,
      }).chatModel(c.model);
    case 'openai':
      // Chat Completions ({base}/chat/completions), which every OpenAI-style endpoint serves.
      return createOpenAI({ ...base, ...key }).chat(c.model);
    case 'anthropic':
      return createAnthropic({ ...base, ...key })(c.model);
    case 'google':
      return createGoogleGenerativeAI({ ...base, ...key })(c.model);
  }
}
