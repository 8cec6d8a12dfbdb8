/** Fault injection: the rule types, the compact --fault syntax, and which request gets which fault. */
import { UsageError } from '../errors.js';
import { rng } from './rng.js';

export type MockFault =
  | { kind: 'status'; status: number; code?: string; type?: string; message?: string }
  | { kind: 'rate-limit'; retryAfterS?: number }
  | { kind: 'insufficient-quota' }
  | { kind: 'stall'; ms: number; phase?: 'headers' | 'body' }
  | { kind: 'reset'; phase?: 'headers' | 'body' }
  | { kind: 'malformed-sse' }
  | { kind: 'truncate' }
  | { kind: 'in-stream-error' }
  | { kind: 'html'; status?: number };

/** When a fault fires: on which path, and on a seeded fraction / every Nth / the first N matching requests (all that are given must hold). */
export interface FaultRule {
  fault: MockFault;
  path?: 'models' | 'chat' | 'any';
  rate?: number;
  every?: number;
  first?: number;
}

/** Faults that only make sense inside an SSE stream; they apply to streaming chat requests only. */
const STREAM_ONLY = new Set(['malformed-sse', 'truncate', 'in-stream-error']);

/** Picks the fault (if any) for each request, in rule order; counters and the rate RNG make it reproducible. */
export class FaultPicker {
  private readonly counts: number[];
  private readonly random: () => number;
  constructor(private readonly rules: readonly FaultRule[], seed: number) {
    this.counts = rules.map(() => 0);
    this.random = rng(seed ^ 0x7f4a7c15);
  }
  pick(path: 'models' | 'chat', stream: boolean): MockFault | undefined {
    let chosen: MockFault | undefined;
    for (let i = 0; i < this.rules.length; i++) {
      const r = this.rules[i]!;
      const where = r.path ?? 'any';
      if (where !== 'any' && where !== path) continue;
      if (STREAM_ONLY.has(r.fault.kind) && !(path === 'chat' && stream)) continue;
      const n = ++this.counts[i]!;
      if (chosen) continue; // later rules still count this request, so "every"/"first" stay per-rule
      if (r.first !== undefined && n > r.first) continue;
      if (r.every !== undefined && n % r.every !== 0) continue;
      if (r.rate !== undefined && !(this.random() < r.rate)) continue;
      chosen = r.fault;
    }
    return chosen;
  }
}

const FAULT_KINDS =
  'NNN (any HTTP status 400-599, e.g. 500, 503), 429 or rate-limit[=RETRY_AFTER_S], quota, stall[=MS], reset, malformed-sse, truncate, in-stream-error, html[=STATUS]';
const OPTIONS = 'rate=0..1, every=N, first=N, path=chat|models|any, phase=headers|body (stall, reset), code=, type= (status)';

/** Parsing one --fault value: its errors name the whole value and list what is valid. */
interface SpecParser {
  bad(why: string): never;
  num(v: string | undefined, what: string, min: number, max: number, int?: boolean): number;
}

function specParser(spec: string): SpecParser {
  const bad = (why: string): never => {
    throw new UsageError(`--fault ${JSON.stringify(spec)}: ${why}; valid kinds: ${FAULT_KINDS}; options after @: ${OPTIONS}.`);
  };
  return {
    bad,
    num: (v, what, min, max, int = true) => {
      const n = Number(v);
      if (v === undefined || v === '' || !Number.isFinite(n) || (int && !Number.isInteger(n)) || n < min || n > max) bad(`${what} must be ${int ? 'an integer' : 'a number'} from ${min} to ${max}, got ${JSON.stringify(v ?? '')}`);
      return n;
    },
  };
}

/** Parse one --fault value: KIND[=ARG][@opt=value[,opt=value…]] — e.g. 503@rate=0.2, stall=3000@rate=0.1,phase=body. */
export function parseFaultSpec(spec: string): FaultRule {
  const p = specParser(spec);
  const [head = '', ...rest] = spec.trim().split('@');
  const rule: FaultRule = { fault: faultKind(p, head) };
  for (const opt of rest.join(',').split(',')) if (opt.trim()) faultOption(p, rule, opt);
  return rule;
}

/** KIND[=ARG]: the fault itself. */
function faultKind({ bad, num }: SpecParser, head: string): MockFault {
  const eq = head.indexOf('=');
  const kind = (eq < 0 ? head : head.slice(0, eq)).trim().toLowerCase();
  const arg = eq < 0 ? undefined : head.slice(eq + 1).trim();
  const noArg = () => arg === undefined || bad(`${kind} takes no =value`);
  if (/^\d+$/.test(kind) && kind !== '429') {
    noArg();
    return { kind: 'status', status: num(kind, 'the status', 400, 599) };
  }
  switch (kind) {
    case '429':
    case 'rate-limit':
      return arg === undefined ? { kind: 'rate-limit' } : { kind: 'rate-limit', retryAfterS: num(arg, 'Retry-After seconds', 0, 86400) };
    case 'quota':
    case 'insufficient-quota':
      noArg();
      return { kind: 'insufficient-quota' };
    case 'stall':
      return { kind: 'stall', ms: arg === undefined ? 10_000 : num(arg, 'the stall in ms', 0, 3_600_000) };
    case 'reset':
      noArg();
      return { kind: 'reset' };
    case 'malformed-sse':
    case 'truncate':
    case 'in-stream-error':
      noArg();
      return { kind };
    case 'html':
      return arg === undefined ? { kind: 'html' } : { kind: 'html', status: num(arg, 'the HTML page status', 200, 599) };
    default:
      return bad(kind ? `unknown fault kind ${JSON.stringify(kind)}` : 'the fault kind is missing');
  }
}

/** One opt=value after @: when and where the fault applies, or a detail of the fault. */
function faultOption({ bad, num }: SpecParser, rule: FaultRule, opt: string): void {
  const fault = rule.fault;
  const [k = '', v] = opt.split('=').map((s) => s.trim());
  switch (k) {
    case 'rate':
      rule.rate = num(v, 'rate', 0, 1, false);
      break;
    case 'every':
      rule.every = num(v, 'every', 1, 1e9);
      break;
    case 'first':
      rule.first = num(v, 'first', 1, 1e9);
      break;
    case 'path':
      if (v !== 'chat' && v !== 'models' && v !== 'any') bad(`path must be chat, models or any, got ${JSON.stringify(v ?? '')}`);
      rule.path = v as FaultRule['path'];
      break;
    case 'phase':
      if (fault.kind !== 'stall' && fault.kind !== 'reset') bad('phase= applies to stall and reset only');
      if (v !== 'headers' && v !== 'body') bad(`phase must be headers or body, got ${JSON.stringify(v ?? '')}`);
      (fault as { phase?: string }).phase = v;
      break;
    case 'code':
    case 'type':
      if (fault.kind !== 'status' || !v) bad(`${k}= applies to a status fault and needs a value`);
      (fault as Record<string, unknown>)[k] = v;
      break;
    default:
      bad(`unknown option ${JSON.stringify(k)}`);
  }
}

/** One line per rule for the banner, e.g. "503 rate=0.2" or "stall 3000ms (body) every=5". */
export function describeRule(r: FaultRule): string {
  const f = r.fault;
  const what =
    f.kind === 'status' ? String(f.status)
    : f.kind === 'rate-limit' ? `429 rate-limit (Retry-After ${f.retryAfterS ?? 1}s)`
    : f.kind === 'insufficient-quota' ? '429 insufficient_quota'
    : f.kind === 'stall' ? `stall ${f.ms}ms (${f.phase ?? 'headers'})`
    : f.kind === 'reset' ? `reset (${f.phase ?? 'headers'})`
    : f.kind === 'html' ? `html ${f.status ?? 502}`
    : f.kind;
  const when = [r.rate !== undefined ? `rate=${r.rate}` : '', r.every ? `every=${r.every}` : '', r.first ? `first=${r.first}` : '', r.path && r.path !== 'any' ? `path=${r.path}` : ''].filter(Boolean);
  return when.length ? `${what} ${when.join(' ')}` : `${what} (every request)`;
}
