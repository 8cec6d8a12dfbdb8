/** `holy traffic pull` flags → checked options (every bad value is one sentence naming the flag). Pure. */
import { UsageError } from '../../errors.js';
import { MAX_TIMEOUT_MS } from '../../core/profiles.js';

export interface PullFlags {
  provider?: string;
  since?: string;
  until?: string;
  model?: string;
  metadata?: string[];
  limit?: string;
  out?: string;
  restart?: boolean;
  timeout?: string;
  force?: boolean;
}

export interface PullOptions {
  provider?: string;
  /** Epoch ms, inclusive; with the text as given (normalised to ISO) for the file header. */
  since?: { ms: number; iso: string };
  /** Epoch ms, exclusive. */
  until?: { ms: number; iso: string };
  model?: string;
  metadata: Record<string, string>;
  limit?: number;
  out: string;
  restart: boolean;
  timeoutMs?: number;
  force: boolean;
  /** Completions per list page (the API's maximum is 100). */
  pageSize: number;
}

/** A date flag: ISO 8601 date (UTC midnight) or date-time; anything else is refused. */
export function parseDate(v: string, flag: string): { ms: number; iso: string } {
  const s = v.trim();
  const dateOnly = /^\d{4}-\d{2}-\d{2}$/.test(s);
  const ms = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/.test(s) ? Date.parse(dateOnly ? `${s}T00:00:00Z` : /Z|[+-]\d{2}:?\d{2}$/.test(s) ? s : `${s}Z`) : NaN;
  if (!Number.isFinite(ms)) throw new UsageError(`${flag} ${JSON.stringify(v)}: expected an ISO 8601 date or date-time, e.g. ${flag} 2026-11-01 or ${flag} 2026-11-01T08:00:00Z (UTC unless an offset is given).`);
  return { ms, iso: new Date(ms).toISOString() };
}

function positiveInt(v: string, flag: string, example: string): number {
  if (!/^\d+$/.test(v.trim()) || Number(v) < 1 || !Number.isSafeInteger(Number(v))) throw new UsageError(`${flag} ${JSON.stringify(v)}: expected a whole number of at least 1, e.g. ${flag} ${example}.`);
  return Number(v);
}

export function parsePullOptions(f: PullFlags): PullOptions {
  if (!f.out || !f.out.trim()) throw new UsageError('--out is required: name the results file to write, e.g. --out traffic.jsonl.');
  const metadata: Record<string, string> = {};
  for (const m of f.metadata ?? []) {
    const eq = m.indexOf('=');
    if (eq <= 0) throw new UsageError(`--metadata ${JSON.stringify(m)}: expected KEY=VALUE, e.g. --metadata app=support.`);
    const k = m.slice(0, eq).trim();
    if (Object.hasOwn(metadata, k) && metadata[k] !== m.slice(eq + 1)) throw new UsageError(`--metadata ${k} is given twice with different values; a completion has one value per key, so pass it once.`);
    metadata[k] = m.slice(eq + 1);
  }
  if (f.model !== undefined && !f.model.trim()) throw new UsageError('--model needs a model id, e.g. --model gpt-4o.');
  const since = f.since !== undefined ? parseDate(f.since, '--since') : undefined;
  const until = f.until !== undefined ? parseDate(f.until, '--until') : undefined;
  if (since && until && until.ms <= since.ms) throw new UsageError(`--until ${f.until} is not after --since ${f.since}; the window would be empty (--until is exclusive).`);
  let timeoutMs: number | undefined;
  if (f.timeout !== undefined) {
    timeoutMs = positiveInt(f.timeout, '--timeout', '30000');
    if (timeoutMs > MAX_TIMEOUT_MS) throw new UsageError(`--timeout ${f.timeout}: at most ${MAX_TIMEOUT_MS} ms, e.g. --timeout 30000.`);
  }
  return {
    ...(f.provider !== undefined ? { provider: f.provider } : {}),
    ...(since ? { since } : {}),
    ...(until ? { until } : {}),
    ...(f.model !== undefined ? { model: f.model.trim() } : {}),
    metadata,
    ...(f.limit !== undefined ? { limit: positiveInt(f.limit, '--limit', '5000') } : {}),
    out: f.out,
    restart: !!f.restart,
    ...(timeoutMs !== undefined ? { timeoutMs } : {}),
    force: !!f.force,
    pageSize: 100,
  };
}
