/**
 * Relaying an SSE chat stream: complete events are passed on as soon as they arrive (a partial event
 * waits only for its own end), the usage chunk holy asked for is read and — when the client did not
 * ask for usage — left out, and the first content byte is noted for TTFT. Anything deeper (the
 * answer's text for an estimate or the cutover recorder) is parsed later from the kept events, off
 * the hot path.
 */
import { StringDecoder } from 'node:string_decoder';

export interface Usage {
  inputTokens: number;
  cachedTokens: number;
  outputTokens: number;
}

/** OpenAI usage (chat or embeddings) → counts; undefined when absent or malformed. */
export function usageOf(u: unknown): Usage | undefined {
  if (!u || typeof u !== 'object') return undefined;
  const o = u as { prompt_tokens?: unknown; completion_tokens?: unknown; prompt_tokens_details?: { cached_tokens?: unknown } | null };
  const n = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? Math.floor(v) : undefined);
  const input = n(o.prompt_tokens);
  if (input === undefined) return undefined;
  return { inputTokens: input, cachedTokens: n(o.prompt_tokens_details?.cached_tokens) ?? 0, outputTokens: n(o.completion_tokens) ?? 0 };
}

const CONTENT = /"(content|arguments|refusal)":"[^"]/;
const MODEL = /"model":"((?:[^"\\]|\\.){1,200})"/;

export class SseRelay {
  private readonly decoder = new StringDecoder('utf8');
  private rest = '';
  usage?: Usage;
  model?: string;
  /** True once an event carrying answer text or tool-call arguments was passed on. */
  sawContent = false;
  /** Every event passed on (kept only while `keep` says so), for an estimate or the recorder. */
  readonly kept: string[] = [];
  private keptBytes = 0;

  constructor(
    private readonly stripUsage: boolean,
    private keep: boolean,
    private readonly keepMax = 4 * 1024 * 1024,
  ) {}

  /** A chunk from upstream → the text to send the client now ('' when no event is complete yet). */
  feed(chunk: Buffer): string {
    const text = this.rest + this.decoder.write(chunk);
    const end = lastBoundary(text);
    if (end < 0) {
      this.rest = text;
      return '';
    }
    this.rest = text.slice(end);
    return this.pass(text.slice(0, end));
  }

  /** The stream ended: whatever is left (an unterminated last event is passed on as it is). */
  end(): string {
    const text = this.rest + this.decoder.end();
    this.rest = '';
    return text ? this.pass(text) : '';
  }

  private pass(events: string): string {
    if (this.model === undefined) {
      const m = MODEL.exec(events);
      if (m) this.model = JSON.parse(`"${m[1]}"`) as string;
    }
    if (!this.sawContent && CONTENT.test(events)) this.sawContent = true;
    let out = events;
    if (events.includes('"usage":{')) out = this.readUsage(events);
    if (this.keep) {
      this.keptBytes += out.length;
      if (this.keptBytes > this.keepMax) {
        this.keep = false;
        this.kept.length = 0;
      } else this.kept.push(out);
    }
    return out;
  }

  /** Read the usage object; drop the usage-only event (no choices) when the client did not ask for it. */
  private readUsage(events: string): string {
    const parts = events.split(/(?<=\n\n|\r\n\r\n)/);
    let out = '';
    for (const ev of parts) {
      if (!ev.includes('"usage":{')) {
        out += ev;
        continue;
      }
      const data = ev
        .split(/\r?\n/)
        .filter((l) => l.startsWith('data:'))
        .map((l) => l.slice(5).trimStart())
        .join('\n');
      let obj: { usage?: unknown; choices?: unknown[] } | undefined;
      try {
        obj = JSON.parse(data) as typeof obj;
      } catch {
        obj = undefined;
      }
      const u = usageOf(obj?.usage);
      if (u) this.usage = u;
      if (u && this.stripUsage && Array.isArray(obj?.choices) && obj.choices.length === 0) continue;
      out += ev;
    }
    return out;
  }
}

function lastBoundary(s: string): number {
  const a = s.lastIndexOf('\n\n');
  const b = s.lastIndexOf('\r\n\r\n');
  return Math.max(a < 0 ? -1 : a + 2, b < 0 ? -1 : b + 4);
}

/** The events' answer: text, tool calls and finish reason, parsed from kept SSE text (off the hot path). */
export function streamAnswer(kept: readonly string[]): { text: string; toolCalls: unknown[]; finishReason?: string } {
  let text = '';
  const calls = new Map<number, { id?: string; type: string; function: { name: string; arguments: string } }>();
  let finishReason: string | undefined;
  for (const line of kept.join('').split(/\r?\n/)) {
    if (!line.startsWith('data:')) continue;
    const d = line.slice(5).trim();
    if (!d || d === '[DONE]') continue;
    let o: { choices?: { delta?: { content?: unknown; tool_calls?: { index?: number; id?: string; function?: { name?: string; arguments?: string } }[] }; finish_reason?: unknown }[] };
    try {
      o = JSON.parse(d) as typeof o;
    } catch {
      continue;
    }
    const c = o.choices?.[0];
    if (!c) continue;
    if (typeof c.delta?.content === 'string') text += c.delta.content;
    for (const tc of c.delta?.tool_calls ?? []) {
      const i = tc.index ?? 0;
      let call = calls.get(i);
      if (!call) calls.set(i, (call = { type: 'function', function: { name: '', arguments: '' } }));
      if (tc.id) call.id = tc.id;
      if (tc.function?.name) call.function.name += tc.function.name;
      if (tc.function?.arguments) call.function.arguments += tc.function.arguments;
    }
    if (typeof c.finish_reason === 'string') finishReason = c.finish_reason;
  }
  return { text, toolCalls: [...calls.values()], ...(finishReason ? { finishReason } : {}) };
}
