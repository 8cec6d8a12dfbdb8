/**
 * The simulator's POST /v1/embeddings: a unit vector per input, determined by (model, text), so the same
 * model always gives the same vector (cosine 1.0) and another model gives an unrelated one (cosine ≈ 0).
 * --variant p perturbs each vector a little (cosine ≈ 1 − p²/2 … still "the same model, noisier").
 */
import { hashStr, mix, rng } from './rng.js';

/** Default dimension counts of OpenAI's embedding models (others: 1536). */
export function defaultDims(model: string): number {
  return /large/.test(model) ? 3072 : 1536;
}

/** A unit vector from a seeded normal-ish draw (sum of uniforms), perturbed by `noise` from a second stream. */
export function mockVector(model: string, text: string, dims: number, noise: number, seed: number): number[] {
  const r = rng(mix(hashStr(model), hashStr(text)));
  const n = noise > 0 ? rng(mix(seed ^ 0x7e57, hashStr(text))) : undefined;
  const v = new Array<number>(dims);
  let norm = 0;
  for (let i = 0; i < dims; i++) {
    let x = r() + r() + r() - 1.5;
    if (n) x += noise * (n() + n() + n() - 1.5);
    v[i] = x;
    norm += x * x;
  }
  const k = 1 / Math.sqrt(norm || 1);
  for (let i = 0; i < dims; i++) v[i] = Math.round(v[i]! * k * 1e8) / 1e8;
  return v;
}

function inputs(input: unknown): string[] | undefined {
  if (typeof input === 'string') return [input];
  if (!Array.isArray(input) || input.length === 0) return undefined;
  if (input.every((x) => typeof x === 'number')) return [input.join(' ')];
  if (input.every((x) => typeof x === 'string' || (Array.isArray(x) && x.every((t) => typeof t === 'number')))) return input.map((x) => (typeof x === 'string' ? x : (x as number[]).join(' ')));
  return undefined;
}

/** The response body (JSON text) for a parsed request, or an error (status + message). */
export function embeddingsReply(b: Record<string, unknown>, o: { seed: number; variant: number; usageScale: number; echoModel?: string }): { body: string } | { status: number; message: string; param: string } {
  const model = typeof b.model === 'string' ? b.model : '';
  if (!model) return { status: 400, message: 'you must provide a model parameter', param: 'model' };
  const texts = inputs(b.input);
  if (!texts) return { status: 400, message: "'input' must be a non-empty string or array of strings or token arrays.", param: 'input' };
  // A substituted model (--echo-model) answers with its own dimension count, as a real one would.
  const served = o.echoModel ?? model;
  const dims = b.dimensions === undefined ? defaultDims(served) : Number(b.dimensions);
  if (!Number.isInteger(dims) || dims < 1 || dims > defaultDims(served)) return { status: 400, message: `Invalid 'dimensions': ${JSON.stringify(b.dimensions)}.`, param: 'dimensions' };
  const base64 = b.encoding_format === 'base64';
  const data = texts.map((t, index) => {
    const v = mockVector(served, t, dims, o.variant * 0.2, o.seed);
    const embedding = base64 ? Buffer.from(new Float32Array(v).buffer).toString('base64') : v;
    return { object: 'embedding', index, embedding };
  });
  const tokens = Math.round(texts.reduce((a, t) => a + Math.ceil(t.length / 4), 0) * o.usageScale);
  return { body: JSON.stringify({ object: 'list', data, model: served, usage: { prompt_tokens: tokens, total_tokens: tokens } }) };
}
