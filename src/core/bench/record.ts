/** One results.jsonl line per request per provider — the format `holy bench … --old recorded` reads back. */
import { percentile } from './samples.js';
import type { Outcome } from './metrics.js';

/** Fields of one results line (see docs/bench.md, "--out results.jsonl"); never a key or Authorization header. */
export interface ResultLine {
  id: string;
  role: 'old' | 'new';
  provider: string;
  /** This side was holy mock (its GET /models header, or a recorded answer it made): the figures are a simulation. */
  simulated: boolean;
  file: string;
  line: number;
  pair: number;
  startedAt: string;
  model: string;
  mappedModel: string;
  stream: boolean;
  status: number;
  ok: boolean;
  errorClass: string | null;
  error: string | null;
  ttfbMs: number | null;
  ttftMs: number | null;
  e2eMs: number | null;
  tpotMs: number | null;
  itl: { n: number; p50: number | null; p99: number | null; max: number | null };
  outputTokens: number | null;
  outputTokensSource: 'server' | 'local' | null;
  promptTokens: number | null;
  promptTokensLocal: number | null;
  includeUsageHonoured: boolean | null;
  responseModel: string | null;
  similarity: number | null;
  retries: number;
  retryWaitMs: number;
  /** The request body as sent (model mapped, stream options set). */
  request: Record<string, unknown>;
  response: { status: number; body: unknown; error: { code?: string; message: string } | null };
  timings: { ttfbMs: number | null; ttftMs: number | null; e2eMs: number | null };
}

const r3 = (v: number | undefined | null): number | null => (v === undefined || v === null || !Number.isFinite(v) ? null : Math.round(v * 1000) / 1000);

/** Build a results line; `body` is the completion (or error body) received. */
export function resultLine(
  a: Pick<ResultLine, 'id' | 'role' | 'provider' | 'file' | 'line' | 'pair' | 'model' | 'request' | 'status'> & {
  /** The side was listed as holy mock (the outcome's own fingerprint counts too). */
  simulated?: boolean;
  /** Epoch ms; written as ISO. */
  startedAt: number;
  body: unknown;
  errorMessage?: string;
  outcome: Outcome;
  similarity?: number;
},
): ResultLine {
  const o = a.outcome;
  const itl = o.itl.length ? Float64Array.from(o.itl).sort() : undefined;
  return {
    id: a.id,
    role: a.role,
    provider: a.provider,
    simulated: !!(a.simulated || o.simulated),
    file: a.file,
    line: a.line,
    pair: a.pair,
    startedAt: new Date(a.startedAt).toISOString(),
    model: a.model,
    mappedModel: o.sentModel,
    stream: o.stream,
    status: a.status,
    ok: o.ok,
    errorClass: o.errorClass ?? null,
    error: a.errorMessage ?? null,
    ttfbMs: r3(o.ttfbMs),
    ttftMs: r3(o.ttftMs),
    e2eMs: r3(o.e2eMs),
    tpotMs: r3(o.tpotMs),
    itl: { n: o.itl.length, p50: itl ? r3(percentile(itl, 50)) : null, p99: itl ? r3(percentile(itl, 99)) : null, max: itl ? r3(itl[itl.length - 1]) : null },
    outputTokens: o.outputTokens ?? null,
    outputTokensSource: o.outputTokensSource ?? null,
    promptTokens: o.promptTokens ?? null,
    promptTokensLocal: o.promptTokensLocal ?? null,
    includeUsageHonoured: o.stream && o.ok ? !!o.usageSeen : null,
    responseModel: o.responseModel ?? null,
    similarity: a.similarity === undefined ? null : r3(a.similarity),
    retries: o.retries,
    retryWaitMs: r3(o.retryWaitMs) ?? 0,
    request: a.request,
    response: { status: a.status, body: a.body ?? null, error: o.ok ? null : { ...(o.errorClass ? { code: o.errorClass } : {}), message: a.errorMessage ?? o.errorClass ?? 'failed' } },
    timings: { ttfbMs: r3(o.ttfbMs), ttftMs: r3(o.ttftMs), e2eMs: r3(o.e2eMs) },
  };
}

/** Columns of --csv (the scalar fields of a results line); new columns go last, so readers by position keep working. */
export const CSV_COLUMNS = ['id', 'role', 'provider', 'file', 'line', 'pair', 'startedAt', 'model', 'mappedModel', 'stream', 'status', 'ok', 'errorClass', 'ttfbMs', 'ttftMs', 'e2eMs', 'tpotMs', 'itlN', 'itlP50', 'itlP99', 'outputTokens', 'outputTokensSource', 'promptTokens', 'promptTokensLocal', 'includeUsageHonoured', 'responseModel', 'similarity', 'retries', 'retryWaitMs', 'simulated'] as const;

/** A results line flattened to the CSV columns. */
export function csvRow(l: ResultLine): Record<string, unknown> {
  return { ...l, itlN: l.itl.n, itlP50: l.itl.p50, itlP99: l.itl.p99 };
}
