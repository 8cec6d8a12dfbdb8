/** The price table shared by models, bench and roi: USD per 1M tokens, exact decimals, a source on every row. */
import { Decimal } from './decimal.js';
import { UsageError } from '../errors.js';
import { normaliseModel } from './models.js';

/** Prices are decimal strings (USD per 1M tokens) so nothing is lost to binary floating point. */
export interface PriceRow {
  model: string;
  input: string;
  /** null when the provider has no cached-input discount (cached tokens billed as input). */
  cachedInput: string | null;
  output: string;
  batchInput?: string;
  batchCachedInput?: string;
  batchOutput?: string;
  source: string;
  date: string;
}

export interface PriceTable {
  /** Fixed once the table is built: lookupPrice remembers its answers per table. */
  rows: ReadonlyMap<string, PriceRow>;
  /** Where the table came from: "built-in" or a file path. */
  origin: string;
}

const OPENAI = 'OpenAI pricing; LiteLLM price map';
const D = '2026-11-01';
function openai(model: string, input: string, cached: string | null, output: string, source = OPENAI): PriceRow {
  const half = (s: string) => new Decimal(s).div(2).toString();
  return { model, input, cachedInput: cached, output, batchInput: half(input), ...(cached ? { batchCachedInput: half(cached) } : {}), batchOutput: half(output), source: `${source} (batch = 50%)`, date: D };
}

/** Built-in rows (the reference table of docs/definitions.md plus the legacy models the mapping starts from). */
const BUILTIN_PRICES: readonly PriceRow[] = [
  openai('gpt-4.1', '2.00', '0.50', '8.00'),
  openai('gpt-4.1-mini', '0.40', '0.10', '1.60'),
  openai('gpt-4o', '2.50', '1.25', '10.00'),
  openai('gpt-4o-mini', '0.15', '0.075', '0.60'),
  openai('gpt-4-turbo', '10.00', null, '30.00', 'OpenAI pricing (legacy model)'),
  openai('gpt-3.5-turbo', '0.50', null, '1.50', 'OpenAI pricing (legacy model)'),
  { model: 'claude-sonnet-4.5', input: '3.00', cachedInput: '0.30', output: '15.00', source: 'Anthropic pricing (≤200k context)', date: D },
  { model: 'claude-3-opus', input: '15.00', cachedInput: '1.50', output: '75.00', source: 'Anthropic pricing (legacy model)', date: D },
  { model: 'gemini-2.5-flash', input: '0.30', cachedInput: '0.03', output: '2.50', source: 'LiteLLM price map', date: D },
  { model: 'gemini-pro', input: '0.50', cachedInput: null, output: '1.50', source: 'LiteLLM price map (legacy model)', date: D },
  { model: 'deepseek-v3.2', input: '0.28', cachedInput: '0.028', output: '0.42', source: 'DeepSeek pricing (deepseek-chat)', date: D },
  // Embeddings bill input tokens only.
  openai('text-embedding-3-small', '0.02', null, '0', 'OpenAI pricing (embeddings)'),
  openai('text-embedding-3-large', '0.13', null, '0', 'OpenAI pricing (embeddings)'),
  openai('text-embedding-ada-002', '0.10', null, '0', 'OpenAI pricing (embeddings, legacy model)'),
];

export function builtinPriceTable(): PriceTable {
  return { rows: new Map(BUILTIN_PRICES.map((r) => [normaliseModel(r.model), r])), origin: 'built-in' };
}

/** Find the row for a model id, whatever its snapshot date or spelling. */
export function lookupPrice(table: PriceTable, model: string): PriceRow | undefined {
  // The gateway looks up the same few model ids on every request: normaliseModel's regexes run once per id.
  let memo = lookups.get(table);
  if (!memo) lookups.set(table, (memo = new Map()));
  if (memo.has(model)) return memo.get(model);
  const row = table.rows.get(normaliseModel(model));
  if (memo.size >= 4096) memo.clear();
  memo.set(model, row);
  return row;
}
const lookups = new WeakMap<PriceTable, Map<string, PriceRow | undefined>>();

interface TokenCounts {
  /** Total input tokens, cached included (OpenAI's convention). */
  input: bigint | number;
  cached: bigint | number;
  output: bigint | number;
}

/**
 * USD cost of a token group: (input − cached)·input + cached·cached-input + output·output, per 1M tokens.
 * Batch rows use the batch prices when the row has them.
 */
export function costUSD(row: PriceRow, t: TokenCounts, batch = false): Decimal {
  const [inP, cachedP, outP] = rates(row, batch);
  const cached = t.cached.toString();
  const zeroCached = cached === '0';
  const input = new Decimal(t.input.toString());
  let sum = (zeroCached ? input : input.minus(cached)).times(inP);
  if (!zeroCached) sum = sum.plus(cachedP.times(cached));
  return sum.plus(outP.times(t.output.toString())).div(1_000_000);
}

/** A row's three per-1M prices as Decimals, parsed once per row (the gateway prices every request). */
const parsedRates = new WeakMap<PriceRow, { plain?: readonly [Decimal, Decimal, Decimal]; batch?: readonly [Decimal, Decimal, Decimal] }>();
function rates(row: PriceRow, batch: boolean): readonly [Decimal, Decimal, Decimal] {
  let e = parsedRates.get(row);
  if (!e) parsedRates.set(row, (e = {}));
  const have = batch ? e.batch : e.plain;
  if (have) return have;
  const inP = new Decimal(batch ? (row.batchInput ?? row.input) : row.input);
  // No cached-input price means cached tokens are billed as ordinary input.
  const cachedP = new Decimal((batch ? (row.batchCachedInput ?? row.cachedInput) : row.cachedInput) ?? inP.toString());
  const outP = new Decimal(batch ? (row.batchOutput ?? row.output) : row.output);
  const r = [inP, cachedP, outP] as const;
  if (batch) e.batch = r;
  else e.plain = r;
  return r;
}

function price(v: unknown, at: string): string {
  if (typeof v === 'number' && Number.isFinite(v) && v >= 0) return new Decimal(v).toString();
  if (typeof v === 'string' && /^\d+(\.\d+)?([eE][-+]?\d+)?$/.test(v.trim())) return new Decimal(v.trim()).toString();
  throw new UsageError(`${at} must be a non-negative number (USD), got ${JSON.stringify(v)}.`);
}

/**
 * Parse a price file: holy's format {"models": {"gpt-4.1": {"input": 2, "cachedInput": 0.5, "output": 8, …}}}
 * (USD per 1M tokens), or LiteLLM's model_prices_and_context_window.json (USD per token).
 * Rows override the built-in table (or `base`) model by model.
 */
export function parsePriceFile(text: string, file: string, base: PriceTable = builtinPriceTable(), date = D): PriceTable {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new UsageError(`${file} is not valid JSON (${(e as Error).message}); fix it or pass another --prices file.`);
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new UsageError(`${file}: expected a JSON object of models and prices.`);
  const rows = new Map(base.rows);
  const d = doc as Record<string, unknown>;
  if (d.models && typeof d.models === 'object') {
    for (const [model, r] of Object.entries(d.models as Record<string, Record<string, unknown>>)) {
      const at = `${file}: models.${model}`;
      if (typeof r !== 'object' || r === null) throw new UsageError(`${at} must be an object with "input" and "output".`);
      if (r.input === undefined || r.output === undefined) throw new UsageError(`${at} needs "input" and "output" (USD per 1M tokens).`);
      const row: PriceRow = {
        model,
        input: price(r.input, `${at}.input`),
        cachedInput: r.cachedInput === undefined || r.cachedInput === null ? null : price(r.cachedInput, `${at}.cachedInput`),
        output: price(r.output, `${at}.output`),
        source: typeof r.source === 'string' ? r.source : file,
        date: typeof r.date === 'string' ? r.date : date,
      };
      for (const k of ['batchInput', 'batchCachedInput', 'batchOutput'] as const) if (r[k] !== undefined) row[k] = price(r[k], `${at}.${k}`);
      rows.set(normaliseModel(model), row);
    }
    return { rows, origin: file };
  }
  // LiteLLM: top-level keys are model names, values carry *_cost_per_token (USD per token).
  const perM = (v: unknown, at: string) => new Decimal(price(v, at)).times(1_000_000).toString();
  let n = 0;
  for (const [model, r] of Object.entries(d)) {
    if (model === 'sample_spec' || typeof r !== 'object' || r === null) continue;
    const e = r as Record<string, unknown>;
    if (e.input_cost_per_token === undefined || e.output_cost_per_token === undefined) continue;
    const at = `${file}: ${model}`;
    const row: PriceRow = {
      model,
      input: perM(e.input_cost_per_token, `${at}.input_cost_per_token`),
      cachedInput: e.cache_read_input_token_cost === undefined || e.cache_read_input_token_cost === null ? null : perM(e.cache_read_input_token_cost, `${at}.cache_read_input_token_cost`),
      output: perM(e.output_cost_per_token, `${at}.output_cost_per_token`),
      source: `LiteLLM price map (${file})`,
      date,
    };
    if (e.input_cost_per_token_batches !== undefined) row.batchInput = perM(e.input_cost_per_token_batches, `${at}.input_cost_per_token_batches`);
    if (e.output_cost_per_token_batches !== undefined) row.batchOutput = perM(e.output_cost_per_token_batches, `${at}.output_cost_per_token_batches`);
    rows.set(normaliseModel(model), row);
    n++;
  }
  if (n === 0) throw new UsageError(`${file}: no prices found; expected holy's {"models": {…}} format or LiteLLM's model_prices_and_context_window.json.`);
  return { rows, origin: file };
}
