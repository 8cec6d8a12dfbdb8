/**
 * bench's embeddings pass: every /v1/embeddings request in the traffic, sent once to both providers (or the
 * recorded baseline and the new one) after the chat pairs, compared vector by vector, written to --out.
 */
import type { Ctx } from '../../context.js';
import { Decimal } from '../../core/decimal.js';
import { costUSD, lookupPrice, type PriceTable } from '../../core/prices.js';
import { countTextTokens } from '../../core/tokens.js';
import { comparePair, EmbeddingPairs, EmbeddingSide, summariseEmbeddings, type EmbeddingOutcome, type EmbeddingsSummary } from '../../core/bench/embeddings.js';
import { readEmbeddings, type EmbeddingItem } from '../../adapters/traffic/embeddings.js';
import { sendEmbeddings, vectorsOf } from '../../adapters/provider/index.js';
import type { LineFile } from '../../adapters/results-writer.js';
import type { Side } from './provider.js';

export interface EmbeddingsPlan {
  requests: number;
  promptTokens: number;
  /** Estimated USD per live side (local token counts); null for the recorded side. */
  oldCostUSD: string | null;
  newCostUSD: string;
  unpriced: string[];
  badLines: number;
}

/** Local token estimate of an embeddings input (texts tokenized; token arrays counted). */
export function inputTokens(input: unknown, model: string): number {
  const one = (x: unknown): number => (typeof x === 'string' ? countTextTokens(x, model) : Array.isArray(x) ? (x.every((t) => typeof t === 'number') ? x.length : x.reduce((a: number, y) => a + one(y), 0)) : 0);
  return one(input);
}

/** Read the embeddings requests and price them for the plan and the cost guard. */
export async function planEmbeddings(ctx: Ctx, files: string[], table: PriceTable, live: { old: boolean }, mapModel: (m: string) => string): Promise<{ items: EmbeddingItem[]; tokens: number[]; plan: EmbeddingsPlan }> {
  const { items, problems } = await readEmbeddings(ctx, files);
  const tokens = items.map((it) => inputTokens(it.body.input, it.body.model));
  const unpriced = new Set<string>();
  const price = (map: (m: string) => string) => {
    let c = new Decimal(0);
    items.forEach((it, i) => {
      const row = lookupPrice(table, map(it.body.model));
      if (row) c = c.plus(costUSD(row, { input: tokens[i]!, cached: 0, output: 0 }));
      else unpriced.add(map(it.body.model));
    });
    return c.toDecimalPlaces(6, Decimal.ROUND_UP).toString();
  };
  const plan: EmbeddingsPlan = { requests: items.length, promptTokens: tokens.reduce((a, b) => a + b, 0), oldCostUSD: live.old ? price((m) => m) : null, newCostUSD: price(mapModel), unpriced: [], badLines: problems };
  plan.unpriced = [...unpriced];
  return { items, tokens, plan };
}

function fromRecorded(it: EmbeddingItem): EmbeddingOutcome & { status: number; body: unknown } {
  const r = it.recorded;
  if (!r) return { ok: false, errorClass: 'not_recorded', status: 0, body: null };
  const v = r.status > 0 && r.status < 400 && !r.error ? vectorsOf(r.body) : undefined;
  const u = (r.body as { usage?: { prompt_tokens?: unknown } } | undefined)?.usage?.prompt_tokens;
  const base = { status: r.status, body: r.body ?? null, ...(r.e2eMs !== undefined ? { e2eMs: r.e2eMs } : {}) };
  if (!v || 'problem' in v) return { ...base, ok: false, errorClass: r.error?.code ?? (r.status >= 400 ? `http_${r.status}` : 'recorded_error') };
  return { ...base, ok: true, vectors: v.vectors, ...(typeof u === 'number' ? { promptTokens: u } : {}) };
}

export interface EmbeddingsRun {
  items: EmbeddingItem[];
  tokens: number[];
  concurrency: number;
  percentiles: number[];
  table: PriceTable;
  mapModel(m: string): string;
  out?: LineFile;
}

/** Send every request to both sides (order alternating), compare, write; the summary for the report. */
export async function runEmbeddings(ctx: Ctx, old: Side, neu: Side, r: EmbeddingsRun): Promise<EmbeddingsSummary> {
  const so = new EmbeddingSide(old.name, !old.live);
  const sn = new EmbeddingSide(neu.name, !neu.live);
  const pairs = new EmbeddingPairs();
  const abort = new AbortController();
  const onAbort = () => abort.abort(new Error('interrupted'));
  ctx.signal.addEventListener('abort', onAbort, { once: true });
  const send = async (side: Side, it: EmbeddingItem, model: string) => {
    if (!side.live) return { ...fromRecorded(it), request: it.body, startedAt: ctx.now() };
    const body = { ...it.body, model };
    const startedAt = ctx.now();
    const res = await sendEmbeddings({ dispatcher: side.live.http.dispatcher, baseURL: side.live.baseURL, key: side.live.key, headers: side.live.headers, body, timeoutMs: side.live.timeoutMs, signal: abort.signal, clock: ctx.clock });
    return { ok: res.ok, status: res.status, body: res.body, request: body, startedAt, ...(res.errorClass ? { errorClass: res.errorClass } : {}), ...(res.errorMessage ? { errorMessage: res.errorMessage } : {}), ...(res.e2eMs !== undefined ? { e2eMs: res.e2eMs } : {}), ...(res.vectors ? { vectors: res.vectors } : {}), ...(res.promptTokens !== undefined ? { promptTokens: res.promptTokens } : {}) };
  };
  let next = 0;
  const worker = async () => {
    while (next < r.items.length && !ctx.signal.aborted) {
      const i = next++;
      const it = r.items[i]!;
      const oldFirst = i % 2 === 0;
      let a: Awaited<ReturnType<typeof send>>;
      let b: Awaited<ReturnType<typeof send>>;
      try {
        // Alternate which provider is asked first, as the chat pairs do.
        const first = oldFirst ? send(old, it, it.body.model) : undefined;
        const pn = send(neu, it, r.mapModel(it.body.model));
        [a, b] = await Promise.all([first ?? send(old, it, it.body.model), pn]);
      } catch (e) {
        if (ctx.signal.aborted) return;
        throw e;
      }
      so.add(a, it.body.model, r.tokens[i]!);
      sn.add(b, r.mapModel(it.body.model), r.tokens[i]!);
      const cmp = a.ok && b.ok ? comparePair(a, b) : undefined;
      if (cmp) pairs.add(cmp);
      if (r.out) {
        for (const [role, side, s] of [['old', old, a], ['new', neu, b]] as const) {
          await r.out.write(JSON.stringify(embeddingLine(it, i, role, side.name, s, cmp, !!side.simulated)));
        }
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.max(1, Math.min(r.concurrency, r.items.length)) }, worker));
  } finally {
    ctx.signal.removeEventListener('abort', onAbort);
  }
  return summariseEmbeddings(so, sn, pairs, r.percentiles, r.table, r.mapModel);
}

type Sent = EmbeddingOutcome & { status: number; body: unknown; request: Record<string, unknown>; startedAt: number; errorMessage?: string };

/** A results line for one side of an embeddings pair ("endpoint": "embeddings"; `bench --old recorded` reads it back). */
export function embeddingLine(it: EmbeddingItem, pair: number, role: 'old' | 'new', provider: string, s: Sent, cmp: ReturnType<typeof comparePair> | undefined, simulated = false) {
  const e2e = s.e2eMs === undefined ? null : Math.round(s.e2eMs * 1000) / 1000;
  return {
    id: it.id, endpoint: 'embeddings', role, provider, simulated, file: it.file, line: it.line, pair, startedAt: new Date(s.startedAt).toISOString(),
    model: it.body.model, mappedModel: String(s.request.model), status: s.status, ok: s.ok, errorClass: s.errorClass ?? null, error: s.errorMessage ?? null,
    e2eMs: e2e, promptTokens: s.promptTokens ?? null, dimensions: s.vectors?.[0]?.length ?? null,
    cosine: cmp?.cosine === undefined ? null : Math.round(cmp.cosine * 1e6) / 1e6,
    request: s.request,
    response: { status: s.status, body: s.body ?? null, error: s.ok ? null : { ...(s.errorClass ? { code: s.errorClass } : {}), message: s.errorMessage ?? s.errorClass ?? 'failed' } },
    timings: { ttfbMs: null, ttftMs: null, e2eMs: e2e },
  };
}
