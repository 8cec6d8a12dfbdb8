/** A holy results line (the `bench --out` format) for a recorded request, as `traffic pull` and `traffic sample` write them. Pure. */
import type { ResultLine } from '../bench/record.js';

export interface RecordedInput {
  id: string;
  provider: string;
  file: string;
  line: number;
  pair: number;
  /** Epoch ms of the recorded request, when known. */
  at?: number;
  request: Record<string, unknown> & { model: string };
  /** undefined when no response was recorded (bench --old recorded then counts it as not_recorded). */
  response?: { status: number; body?: unknown; error?: { code?: string; message: string } };
  ttftMs?: number;
  e2eMs?: number;
  /** The source was holy mock; when not given, a recorded answer with holy mock's fingerprint says so. */
  simulated?: boolean;
}

type Usage = { prompt_tokens?: unknown; completion_tokens?: unknown };
const int = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/**
 * The line, with role "old": `holy bench FILE --old recorded` takes `response` as the baseline. Latency
 * fields stay null unless they were recorded; a stored completion carries no timing, and holy never
 * invents one. `extra` fields (metadata, sample) ride along; the readers ignore what they do not know.
 */
export function recordedLine(r: RecordedInput, extra: Record<string, unknown> = {}): ResultLine & Record<string, unknown> {
  const res = r.response;
  const body = res?.body as { model?: unknown; usage?: Usage; system_fingerprint?: unknown } | undefined;
  const ok = !!res && res.status > 0 && res.status < 400 && !res.error;
  const usage = body && typeof body === 'object' ? body.usage : undefined;
  const ttft = r.ttftMs ?? null;
  const e2e = r.e2eMs ?? null;
  const stream = r.request.stream === true;
  return {
    id: r.id,
    role: 'old',
    provider: r.provider,
    simulated: r.simulated ?? (!!body && typeof body === 'object' && body.system_fingerprint === 'fp_holymock'),
    file: r.file,
    line: r.line,
    pair: r.pair,
    startedAt: r.at === undefined ? (null as unknown as string) : new Date(r.at).toISOString(),
    model: r.request.model,
    mappedModel: r.request.model,
    stream,
    status: res?.status ?? 0,
    ok,
    errorClass: res?.error ? (res.error.code ?? 'recorded_error') : null,
    error: res?.error?.message ?? null,
    ttfbMs: null,
    ttftMs: ttft,
    e2eMs: e2e,
    tpotMs: null,
    itl: { n: 0, p50: null, p99: null, max: null },
    outputTokens: int(usage?.completion_tokens),
    outputTokensSource: int(usage?.completion_tokens) === null ? null : 'server',
    promptTokens: int(usage?.prompt_tokens),
    promptTokensLocal: null,
    includeUsageHonoured: null,
    responseModel: body && typeof body.model === 'string' ? body.model : null,
    similarity: null,
    retries: 0,
    retryWaitMs: 0,
    request: r.request,
    response: res ? { status: res.status, body: res.body ?? null, error: res.error ?? null } : (null as unknown as ResultLine['response']),
    timings: { ttfbMs: null, ttftMs: ttft, e2eMs: e2e },
    ...extra,
  };
}
