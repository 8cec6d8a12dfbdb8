/** Usage file formats, recognised from the header row, and the --columns mapping for anything else. */
import { UsageError } from '../../errors.js';
import { columnsFound, notCsvGuess } from './header-text.js';

/** What roi reads from a row. */
export type Field =
  | 'model' | 'input' | 'cached' | 'output' | 'requests' | 'time' | 'end' | 'batch' | 'id'
  | 'tenant' | 'project' | 'api_key' | 'amount' | 'currency' | 'line_item' | 'status';

export type FormatId = 'openai-activity' | 'openai-cost' | 'holy-ledger' | 'ledger' | 'litellm' | 'canonical' | 'custom';

interface FormatSpec {
  id: FormatId;
  label: string;
  /** Header names that identify the format (all must be present). */
  signature: string[];
  required: Field[];
  /** Candidate header names per field, first present wins (lower case). */
  cols: Partial<Record<Field, string[]>>;
}

const TENANTISH = { project: ['project_id', 'project'], api_key: ['api_key_id', 'api_key'] };

const SPECS: FormatSpec[] = [
  {
    id: 'openai-cost',
    label: 'OpenAI cost export',
    signature: ['amount_value', 'amount_currency'],
    required: ['amount', 'currency', 'time'],
    cols: { amount: ['amount_value'], currency: ['amount_currency'], line_item: ['line_item'], time: ['start_time'], end: ['end_time'], tenant: ['project_id'], ...TENANTISH },
  },
  {
    id: 'openai-activity',
    label: 'OpenAI activity export',
    signature: ['num_model_requests', 'input_tokens', 'output_tokens'],
    required: ['model', 'input', 'output', 'requests', 'time'],
    cols: {
      model: ['model'], input: ['input_tokens'], cached: ['input_cached_tokens'], output: ['output_tokens'], requests: ['num_model_requests'],
      time: ['start_time'], end: ['end_time'], batch: ['batch'], tenant: ['project_id'], ...TENANTISH,
    },
  },
  {
    id: 'litellm',
    label: 'LiteLLM spend logs',
    signature: ['prompt_tokens', 'completion_tokens'],
    required: ['model', 'input', 'output'],
    cols: {
      model: ['model'], input: ['prompt_tokens'], cached: ['cache_read_input_tokens', 'cached_tokens'], output: ['completion_tokens'],
      time: ['starttime', 'start_time'], end: ['endtime', 'end_time'], id: ['request_id'], tenant: ['team_id', 'user'],
      project: ['team_id', 'project_id'], api_key: ['api_key'],
    },
  },
  {
    id: 'canonical',
    label: "holy's canonical usage CSV",
    signature: ['timestamp', 'tenant', 'cached_input_tokens', 'requests'],
    required: ['model', 'input', 'cached', 'output', 'requests', 'time'],
    cols: {
      model: ['model'], input: ['input_tokens'], cached: ['cached_input_tokens'], output: ['output_tokens'], requests: ['requests'],
      time: ['timestamp'], tenant: ['tenant'], batch: ['batch'], ...TENANTISH,
    },
  },
  {
    // holy gateway's ledger (docs/ledger.md): read from the .db itself, or from a CSV dump of usage_records.
    id: 'holy-ledger',
    label: 'holy gateway ledger',
    signature: ['ts', 'request_id', 'tenant_id', 'model_asked', 'cached_tokens', 'status'],
    required: ['model', 'input', 'cached', 'output', 'time', 'id', 'tenant', 'status'],
    cols: {
      model: ['model'], input: ['input_tokens'], cached: ['cached_tokens'], output: ['output_tokens'], time: ['ts'], id: ['request_id'],
      tenant: ['tenant_id'], status: ['status'],
      // Only in the records read from a .db, where SQLite has summed rows: how many, and the last time.
      requests: ['requests'], end: ['ts_end'],
    },
  },
  {
    id: 'ledger',
    label: 'per-request ledger',
    signature: ['request_id', 'input_tokens', 'output_tokens'],
    required: ['model', 'input', 'output'],
    cols: {
      model: ['model'], input: ['input_tokens'], cached: ['cached_input_tokens', 'cached_tokens'], output: ['output_tokens'],
      time: ['timestamp', 'created_at', 'time'], id: ['request_id'], tenant: ['tenant_id', 'tenant'], batch: ['batch'], ...TENANTISH,
    },
  },
];

/** A header resolved to column indexes (-1 = absent). */
interface Layout {
  format: FormatId;
  label: string;
  idx: Record<Field, number>;
  /** The header row as read (original spelling), for messages. */
  header: string[];
}

const COLUMN_KEYS: readonly Field[] = ['model', 'input', 'cached', 'output', 'requests', 'time', 'end', 'batch', 'id', 'tenant', 'project', 'api_key'];

const CANONICAL = 'timestamp,tenant,model,input_tokens,cached_input_tokens,output_tokens,requests';

/** Parse --columns "model=Model,input=Prompt tokens,…" into field → header name. */
export function parseColumnsFlag(value: string): Partial<Record<Field, string>> {
  const map: Partial<Record<Field, string>> = {};
  for (const part of value.split(',')) {
    if (part.trim() === '') continue;
    const eq = part.indexOf('=');
    const key = (eq < 0 ? part : part.slice(0, eq)).trim().toLowerCase().replace(/-/g, '_') as Field;
    const col = eq < 0 ? '' : part.slice(eq + 1).trim();
    if (!COLUMN_KEYS.includes(key)) {
      throw new UsageError(`--columns: unknown key "${key}"; use ${COLUMN_KEYS.join(', ')} (e.g. --columns model=Model,input=Prompt,output=Completion).`);
    }
    if (col === '') throw new UsageError(`--columns: "${key}" needs a column name, e.g. ${key}=my_${key}_column.`);
    map[key] = col;
  }
  for (const k of ['model', 'input', 'output'] as const) {
    if (!map[k]) throw new UsageError(`--columns must name at least model, input and output (missing ${k}), e.g. --columns model=Model,input=Prompt,output=Completion.`);
  }
  return map;
}

function emptyIdx(): Record<Field, number> {
  return Object.fromEntries([...COLUMN_KEYS, 'amount', 'currency', 'line_item', 'status'].map((k) => [k, -1])) as Record<Field, number>;
}

/** Resolve a header row to a layout: the --columns mapping when given, else the format the header matches. */
export function detectLayout(file: string, header: string[], columns?: Partial<Record<Field, string>>): Layout {
  const lower = header.map((h) => h.trim().toLowerCase());
  const found = columnsFound(header);
  const idx = emptyIdx();
  if (columns) {
    const missing: string[] = [];
    for (const [k, name] of Object.entries(columns) as [Field, string][]) {
      const i = lower.indexOf(name.toLowerCase());
      if (i < 0) missing.push(`${k}=${name}`);
      idx[k] = i;
    }
    if (missing.length) {
      throw new UsageError(`${file}: --columns names column(s) not in the header: ${missing.join(', ')}; the columns found are: ${found}.`);
    }
    return { format: 'custom', label: '--columns mapping', idx, header };
  }
  const spec = SPECS.find((s) => s.signature.every((c) => lower.includes(c)));
  if (!spec) {
    const guess = notCsvGuess(header);
    if (guess) {
      throw new UsageError(
        guess.includes('binary') ? `${file}: ${guess}.` : `${file}: ${guess}; its first line starts: ${found}.`,
        `holy roi reads usage CSV files (OpenAI exports, ledgers, LiteLLM logs); export CSV, or map a CSV's columns with --columns model=…,input=…,output=….`,
      );
    }
    const best = SPECS.map((s) => ({ s, hits: s.signature.filter((c) => lower.includes(c)).length })).sort((a, b) => b.hits - a.hits)[0]!;
    const near = best.hits > 0 ? ` It looks closest to the ${best.s.label}, which needs ${best.s.signature.join(', ')} (missing: ${best.s.signature.filter((c) => !lower.includes(c)).join(', ')}).` : '';
    throw new UsageError(
      `${file}: the header matches no known usage format; the columns found are: ${found}.${near}`,
      `map your columns with --columns model=…,input=…,output=…[,cached=…,tenant=…,time=…,requests=…], or use holy's canonical header ${CANONICAL}.`,
    );
  }
  for (const [k, names] of Object.entries(spec.cols) as [Field, string[]][]) {
    idx[k] = names.map((n) => lower.indexOf(n)).find((i) => i >= 0) ?? -1;
  }
  const missing = spec.required.filter((k) => idx[k] < 0).map((k) => spec.cols[k]![0]);
  if (missing.length) {
    throw new UsageError(
      `${file}: looks like the ${spec.label} but lacks the required column(s) ${missing.join(', ')}; the columns found are: ${found}.`,
      `add the column(s), or map yours with --columns model=…,input=…,output=…[,cached=…,time=…].`,
    );
  }
  return { format: spec.id, label: spec.label, idx, header };
}
