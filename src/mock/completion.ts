/** Plans one chat completion: what is said (text, JSON or a tool call), how many tokens, and the response bodies. */
import { answerTokens, defaultLength, jsonAnswer, MAX_TOKENS_CAP, promptHash, promptTokens, splitPieces, valueFor } from './content.js';
import { hashStr, mix, rng } from './rng.js';

/** The parts of a chat request the mock reads. */
export interface MockChatBody {
  model: string;
  messages: { role?: unknown; content?: unknown }[];
  stream?: boolean;
  stream_options?: { include_usage?: boolean } | null;
  max_tokens?: number | null;
  max_completion_tokens?: number | null;
  tools?: { type?: string; function?: { name?: string; parameters?: Record<string, unknown> } }[];
  tool_choice?: unknown;
  response_format?: { type?: string; json_schema?: { schema?: Record<string, unknown> } } | null;
}

interface CompletionPlan {
  hash: number;
  /** Stream pieces: content tokens, or for a tool call the header delta followed by argument pieces. */
  pieces: string[];
  tool?: { id: string; name: string; args: string };
  content: string | null;
  finish: 'stop' | 'length' | 'tool_calls';
  promptTokens: number;
  completionTokens: number;
}

interface PlanOpts {
  seed: number;
  variant: number;
  usageScale: number;
}

/** Decide the whole answer up front (cheap: a few dozen RNG draws), so streaming only schedules writes. */
export function planCompletion(b: MockChatBody, o: PlanOpts, maxTokens: number | undefined): CompletionPlan {
  const hash = promptHash(b.messages);
  const scale = (n: number) => (o.usageScale === 1 ? n : Math.round(n * o.usageScale));
  const pt = scale(promptTokens(b.messages));
  const tools = Array.isArray(b.tools) ? b.tools.filter((t) => t && t.function && typeof t.function.name === 'string') : [];
  if (tools.length && b.tool_choice !== 'none') {
    const wanted = (b.tool_choice as { function?: { name?: string } } | undefined)?.function?.name;
    const t = tools.find((x) => x.function!.name === wanted) ?? tools[0]!;
    const varSeed = o.variant > 0 ? o.seed ^ hashStr(String(o.variant)) : o.seed;
    const args = JSON.stringify(valueFor(t.function!.parameters ?? { type: 'object', properties: {} }, rng(mix(hash, varSeed))));
    const id = 'call_' + mix(hash, 7).toString(36) + mix(hash, 11).toString(36);
    const pieces = ['', ...splitPieces(args)];
    return { hash, pieces, tool: { id, name: t.function!.name!, args }, content: null, finish: 'tool_calls', promptTokens: pt, completionTokens: scale(pieces.length) };
  }
  const rf = b.response_format?.type;
  if (rf === 'json_object' || rf === 'json_schema') {
    const schema = rf === 'json_schema' ? b.response_format?.json_schema?.schema : undefined;
    const varSeed = o.variant > 0 && schema ? o.seed ^ hashStr(String(o.variant)) : o.seed;
    const all = splitPieces(jsonAnswer(schema, hash, varSeed, o.variant, defaultLength(hash)));
    const cut = maxTokens !== undefined && maxTokens < all.length;
    const pieces = cut ? all.slice(0, maxTokens) : all;
    return { hash, pieces, content: pieces.join(''), finish: cut ? 'length' : 'stop', promptTokens: pt, completionTokens: scale(pieces.length) };
  }
  // max_tokens sets the answer length exactly (finish_reason "length"), which lets bench rehearsals choose output sizes.
  const n = maxTokens !== undefined ? Math.min(maxTokens, MAX_TOKENS_CAP) : defaultLength(hash);
  const pieces = answerTokens(hash, o.seed, o.variant, n);
  return { hash, pieces, content: pieces.join(''), finish: maxTokens !== undefined ? 'length' : 'stop', promptTokens: pt, completionTokens: scale(n) };
}

function usage(p: CompletionPlan): string {
  return (
    `{"prompt_tokens":${p.promptTokens},"completion_tokens":${p.completionTokens},"total_tokens":${p.promptTokens + p.completionTokens},` +
    `"prompt_tokens_details":{"cached_tokens":0,"audio_tokens":0},"completion_tokens_details":{"reasoning_tokens":0,"audio_tokens":0,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}}`
  );
}

/** The non-streaming chat.completion body. */
export function completionBody(p: CompletionPlan, id: string, created: number, model: string): string {
  const message = p.tool
    ? `{"role":"assistant","content":null,"tool_calls":[{"id":${JSON.stringify(p.tool.id)},"type":"function","function":{"name":${JSON.stringify(p.tool.name)},"arguments":${JSON.stringify(p.tool.args)}}}],"refusal":null,"annotations":[]}`
    : `{"role":"assistant","content":${JSON.stringify(p.content)},"refusal":null,"annotations":[]}`;
  return (
    `{"id":"${id}","object":"chat.completion","created":${created},"model":${JSON.stringify(model)},` +
    `"choices":[{"index":0,"message":${message},"logprobs":null,"finish_reason":"${p.finish}"}],` +
    `"usage":${usage(p)},"service_tier":"default","system_fingerprint":"fp_holymock"}`
  );
}

/** SSE events of a stream: role-only first event, one per piece, then the tail (finish, usage when asked, [DONE]). */
export interface StreamEvents {
  role: string;
  pieces: string[];
  tail: string;
}

export function streamEvents(p: CompletionPlan, id: string, created: number, model: string, includeUsage: boolean): StreamEvents {
  const head = `data: {"id":"${id}","object":"chat.completion.chunk","created":${created},"model":${JSON.stringify(model)},"system_fingerprint":"fp_holymock","choices":[{"index":0,"delta":`;
  const mid = ',"logprobs":null,"finish_reason":';
  const end = includeUsage ? '}],"usage":null}\n\n' : '}]}\n\n';
  const ev = (delta: string, finish = 'null') => head + delta + mid + finish + end;
  const role = ev(p.tool ? '{"role":"assistant","content":null,"refusal":null}' : '{"role":"assistant","content":"","refusal":null}');
  const pieces = new Array<string>(p.pieces.length);
  for (let i = 0; i < p.pieces.length; i++) {
    if (p.tool) {
      pieces[i] =
        i === 0
          ? ev(`{"tool_calls":[{"index":0,"id":${JSON.stringify(p.tool.id)},"type":"function","function":{"name":${JSON.stringify(p.tool.name)},"arguments":""}}]}`)
          : ev(`{"tool_calls":[{"index":0,"function":{"arguments":${JSON.stringify(p.pieces[i])}}}]}`);
    } else pieces[i] = ev(`{"content":${JSON.stringify(p.pieces[i])}}`);
  }
  let tail = ev('{}', `"${p.finish}"`);
  if (includeUsage)
    tail += `data: {"id":"${id}","object":"chat.completion.chunk","created":${created},"model":${JSON.stringify(model)},"system_fingerprint":"fp_holymock","choices":[],"usage":${usage(p)}}\n\n`;
  tail += 'data: [DONE]\n\n';
  return { role, pieces, tail };
}
