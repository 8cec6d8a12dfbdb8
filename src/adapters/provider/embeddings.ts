/** One POST /embeddings with E2E timing (send → last byte); the vectors decoded after the clock stops. */
import { request, type Dispatcher } from 'undici';
import { classifyStatus, classifyTransport, type ErrorClass } from '../../core/bench/classify.js';
import { KEEP, received } from './received.js';

export interface EmbeddingCall {
  dispatcher: Dispatcher;
  baseURL: string;
  key: string;
  headers: Record<string, string>;
  body: Record<string, unknown>;
  timeoutMs: number;
  signal: AbortSignal;
  clock(): number;
}

export interface EmbeddingResult {
  ok: boolean;
  status: number;
  errorClass?: ErrorClass | 'malformed_response';
  errorMessage?: string;
  e2eMs?: number;
  /** The response body as received (vectors included), or null. */
  body: unknown;
  /** One vector per input, in index order. */
  vectors?: number[][];
  promptTokens?: number;
  model?: string;
}

/** A response this large is cut off and counted as malformed (3072 floats per input as JSON is ~60 KB). */
const MAX_BODY = 64 * 1024 * 1024;

/** base64 little-endian float32 (encoding_format "base64") → numbers. */
function fromBase64(s: string): number[] {
  const b = Buffer.from(s, 'base64');
  const out: number[] = [];
  for (let i = 0; i + 4 <= b.length; i += 4) out.push(b.readFloatLE(i));
  return out;
}

/** Vectors of an embeddings list response, or why it is not one. */
export function vectorsOf(body: unknown): { vectors: number[][] } | { problem: string } {
  const data = (body as { data?: unknown } | null)?.data;
  if (!Array.isArray(data) || data.length === 0) return { problem: 'the body has no "data" list of embeddings' };
  const vs: number[][] = [];
  for (const d of data as Array<{ embedding?: unknown; index?: unknown }>) {
    const e = d?.embedding;
    const v = typeof e === 'string' ? fromBase64(e) : Array.isArray(e) && e.every((x) => typeof x === 'number') ? (e as number[]) : undefined;
    if (!v) return { problem: 'an item of "data" has no numeric "embedding"' };
    vs[typeof d.index === 'number' ? d.index : vs.length] = v;
  }
  return { vectors: vs };
}

export async function sendEmbeddings(o: EmbeddingCall): Promise<EmbeddingResult> {
  const t0 = o.clock();
  const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json', ...o.headers, authorization: `Bearer ${o.key}` };
  let status = 0;
  let text: string;
  let e2e: number;
  try {
    const r = await request(o.baseURL.replace(/\/+$/, '') + '/embeddings', { method: 'POST', headers, body: JSON.stringify(o.body), dispatcher: o.dispatcher, signal: AbortSignal.any([o.signal, AbortSignal.timeout(o.timeoutMs)]) });
    status = r.statusCode;
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const c of r.body) {
      size += (c as Buffer).length;
      if (size > MAX_BODY) {
        r.body.destroy();
        return { ok: false, status, errorClass: 'malformed_response', errorMessage: `response larger than ${MAX_BODY >> 20} MB`, body: null };
      }
      chunks.push(c as Buffer);
    }
    e2e = o.clock() - t0;
    text = Buffer.concat(chunks).toString('utf8');
  } catch (e) {
    if (o.signal.aborted) throw e;
    const timedOut = (e as Error).name === 'TimeoutError' || /timeout/i.test((e as Error).message);
    return { ok: false, status, errorClass: classifyTransport(e, timedOut), errorMessage: received(timedOut ? `no complete response within ${o.timeoutMs} ms` : (e as Error).message, [o.key], KEEP.message), body: null };
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  if (status >= 400) {
    const msg = (json as { error?: { message?: unknown } } | undefined)?.error?.message;
    return { ok: false, status, e2eMs: e2e, errorClass: classifyStatus(status, json), errorMessage: received(`HTTP ${status}: ${typeof msg === 'string' ? msg : text.slice(0, 200)}`, [o.key], KEEP.message), body: json ?? null };
  }
  const v = vectorsOf(json);
  if ('problem' in v) return { ok: false, status, e2eMs: e2e, errorClass: 'malformed_response', errorMessage: `HTTP ${status} but ${v.problem}`, body: json ?? null };
  const j = json as { usage?: { prompt_tokens?: unknown }; model?: unknown };
  return {
    ok: true, status, e2eMs: e2e, body: json, vectors: v.vectors,
    ...(typeof j.usage?.prompt_tokens === 'number' ? { promptTokens: j.usage.prompt_tokens } : {}),
    ...(typeof j.model === 'string' ? { model: j.model } : {}),
  };
}
