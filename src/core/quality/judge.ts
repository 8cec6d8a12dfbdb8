/** Pairwise LLM judging of old vs new answers, run twice with the order swapped to cancel position bias. */
import type { ChatBody } from '../chat.js';
import { contentText } from '../tokens.js';

/** The judge's verdict and whether it survived swapping the order. */
interface JudgeVerdict {
  winner: 'old' | 'new' | 'tie';
  consistent: boolean;
}

/** The judge replied with something other than A, B or TIE. */
export class JudgeReplyError extends Error {}

// Long conversations would make judging cost more than the bench; the judge sees the tail.
const MAX_REQUEST_CHARS = 8000;
const MAX_ANSWER_CHARS = 8000;

function clip(s: string, n: number): string {
  return s.length <= n ? s : `${s.slice(0, n)}\n[… ${s.length - n} more characters cut]`;
}

/** Render the conversation as "role: text" lines (text parts only). */
function renderConversation(request: ChatBody): string {
  const lines = (Array.isArray(request.messages) ? request.messages : []).map((m) => {
    const r = m as { role?: unknown; content?: unknown };
    return `${typeof r.role === 'string' ? r.role : 'user'}: ${contentText(r.content)}`;
  });
  const text = lines.join('\n');
  return text.length <= MAX_REQUEST_CHARS ? text : `[… earlier conversation cut]\n${text.slice(-MAX_REQUEST_CHARS)}`;
}

/** An answer cannot close its own section early: its answer/conversation tags are neutralised. */
function fence(text: string): string {
  return text.replace(/<(\/?)(answer_[ab]|conversation)>/gi, '<$1$2\u200b>');
}

/** The pairwise prompt: the conversation, answer A and answer B, and a one-word reply format. */
export function judgePrompt(request: ChatBody, answerA: string, answerB: string): string {
  return [
    'You are comparing two assistant answers to the same conversation. Judge which answer better',
    'serves the user: correctness first, then completeness and following the instructions.',
    'Ignore length and style unless they hurt the answer. Answers in another language than the',
    'user asked for are worse.',
    '',
    '<conversation>',
    renderConversation(request),
    '</conversation>',
    '',
    '<answer_a>',
    fence(clip(answerA, MAX_ANSWER_CHARS)),
    '</answer_a>',
    '',
    '<answer_b>',
    fence(clip(answerB, MAX_ANSWER_CHARS)),
    '</answer_b>',
    '',
    'Reply with exactly one word: A if answer A is better, B if answer B is better, TIE if they are equally good.',
  ].join('\n');
}

/** Parse a strict verdict: "A", "B" or "TIE" (case, surrounding whitespace, quotes, ** and a final period tolerated); anything else throws JudgeReplyError. */
export function parseVerdict(reply: string): 'A' | 'B' | 'TIE' {
  const v = reply.trim().replace(/^[\s"'*`[(]+|[\s"'*`\]).]+$/g, '').toUpperCase();
  if (v === 'A' || v === 'B' || v === 'TIE') return v;
  throw new JudgeReplyError(`The judge replied ${JSON.stringify(reply.slice(0, 60))} instead of A, B or TIE.`);
}

/**
 * Ask the judge twice — old as A, then new as A — and combine. Consistent verdicts stand;
 * inconsistent ones (the judge preferred a position, not an answer) count as a tie.
 * Rejects with JudgeReplyError when a reply is not a verdict, or with ask()'s own error.
 */
export async function judgePair(ask: (prompt: string) => Promise<string>, request: ChatBody, oldText: string, newText: string): Promise<JudgeVerdict> {
  const [first, second] = await Promise.all([ask(judgePrompt(request, oldText, newText)), ask(judgePrompt(request, newText, oldText))]);
  const v1 = parseVerdict(first);
  const v2 = parseVerdict(second);
  const w1 = v1 === 'A' ? 'old' : v1 === 'B' ? 'new' : 'tie';
  const w2 = v2 === 'A' ? 'new' : v2 === 'B' ? 'old' : 'tie';
  const consistent = w1 === w2;
  return { winner: consistent ? w1 : 'tie', consistent };
}
