/** The checks that need no network: base URL sanity and key hygiene/format/host. Pure. */
import { checkKeyHost, keyFormat, keyHygiene, type HygieneIssue, type KeyFormat } from '../keys.js';
import { maskKey } from '../redact.js';
import { isLoopback } from '../loopback.js';

type CheckStatus = 'pass' | 'fail' | 'warn' | 'skip';

interface Problem {
  cause: string;
  fix: string;
}

interface UrlVerdict {
  status: CheckStatus;
  /** The URL to probe: trimmed, and with a pasted endpoint removed; undefined when unusable. */
  url?: string;
  detail: string;
  problems: Problem[];
}

const ENDPOINT = /\/(chat\/completions|completions|responses|embeddings|models|messages|audio\/\w+|images\/\w+)\/?$/i;

/** Base URL sanity: whitespace, scheme, a pasted endpoint, https unless loopback. */
export function checkBaseURL(raw: string, source: string): UrlVerdict {
  const problems: Problem[] = [];
  let status: CheckStatus = 'pass';
  const worst = (s: CheckStatus) => (status = s === 'fail' || status === 'fail' ? 'fail' : s === 'warn' || status === 'warn' ? 'warn' : status);
  const trimmed = raw.trim();
  if (trimmed !== raw) {
    worst('warn');
    problems.push({ cause: `the base URL ${JSON.stringify(raw)} has stray whitespace around it.`, fix: `remove the whitespace from ${source}.` });
  }
  let u: URL;
  try {
    u = new URL(trimmed);
  } catch {
    return { status: 'fail', detail: `${JSON.stringify(raw)} is not a URL`, problems: [{ cause: `the base URL ${JSON.stringify(raw)} is not a valid URL.`, fix: `set ${source} to an API root such as https://api.holysheep.ai/v1.` }] };
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') {
    return { status: 'fail', detail: `${u.protocol} is not http(s)`, problems: [{ cause: `the base URL uses ${u.protocol}, not https:.`, fix: `set ${source} to an https:// URL.` }] };
  }
  if (u.protocol === 'http:' && !isLoopback(u.hostname)) {
    worst('warn');
    problems.push({ cause: `the base URL uses plain http to ${u.hostname}: the key and prompts would cross the network unencrypted.`, fix: `use https://${u.host}${u.pathname} in ${source}.` });
  }
  const m = ENDPOINT.exec(u.pathname);
  if (m) {
    worst('fail');
    const base = new URL(u.toString());
    base.pathname = u.pathname.slice(0, m.index) || '/';
    base.search = '';
    const fixed = base.toString().replace(/\/$/, '');
    problems.push({ cause: `the base URL ends in /${m[1]}, an endpoint: the SDK appends that itself, so every request would go to …/${m[1]}/${m[1]}.`, fix: `set ${source} to ${fixed}; checking ${fixed} below.` });
    u = base;
  }
  if (u.search || u.hash) {
    worst('warn');
    problems.push({ cause: 'the base URL carries a query string or fragment, which the SDK would mangle.', fix: `remove everything after "?" or "#" in ${source}.` });
    u.search = '';
    u.hash = '';
  }
  const url = u.toString().replace(/\/+$/, '');
  const noV1 = !/\/v\d+/.test(u.pathname);
  return { status, url, detail: `${url}${noV1 ? ' (no /v1 in the path)' : ''}`, problems };
}

interface KeyVerdict {
  status: CheckStatus;
  detail: string;
  problem?: Problem;
  /** Keys to try in order: the raw key first when it differs from the cleaned one. */
  candidates: Array<{ label: 'raw' | 'trimmed'; key: string }>;
  /** False when nothing may be sent with this key (missing, or refused for this host). */
  send: boolean;
  format?: KeyFormat;
  hygiene: HygieneIssue[];
  masked: string;
}

/** "env X" → "X in the environment", ".env X" → "X in .env", "file p" → "the key file p". */
export function describeSource(source: string): string {
  const m = /^(\S+) (\S+)$/.exec(source);
  if (source === 'stdin') return 'the key piped on stdin';
  if (!m) return source;
  if (m[1] === 'env') return `${m[2]} in the environment`;
  if (m[1] === 'file') return `the key file ${m[2]}`;
  return `${m[2]} in ${m[1]}`;
}

const WHAT: Record<HygieneIssue['kind'], string> = {
  newline: 'the line break',
  'leading-whitespace': 'the leading whitespace',
  'trailing-whitespace': 'the trailing whitespace',
  quotes: 'the quotes',
  'inner-whitespace': 'the whitespace inside it',
};

/** How to clean a key, e.g. "remove the trailing newline from HOLYSHEEP_API_KEY in .env". */
export function hygieneFix(issues: HygieneIssue[], source: string, raw: string): string {
  const kinds = new Set(issues.map((i) => i.kind));
  const parts: string[] = [];
  if (kinds.has('newline')) parts.push(/[\r\n]\s*$/.test(raw) ? 'the trailing newline' : WHAT.newline);
  for (const k of ['leading-whitespace', 'trailing-whitespace', 'quotes', 'inner-whitespace'] as const) {
    if (!kinds.has(k)) continue;
    if (k === 'trailing-whitespace' && kinds.has('newline') && /[\r\n]\s*$/.test(raw)) continue;
    parts.push(WHAT[k]);
  }
  return `remove ${parts.join(' and ')} from ${describeSource(source)}`;
}

interface KeyInput {
  provider: string;
  raw: string | undefined;
  source: string;
  apiKeyEnv?: string;
  keyPatterns: readonly string[];
}

/** Key present, clean, of a known format, and allowed to go to `url` (unless forced). */
export function checkKey(k: KeyInput, url: string | undefined, force: boolean): KeyVerdict {
  if (k.raw === undefined || k.raw.trim() === '') {
    const where = k.apiKeyEnv ?? k.source;
    // A key file or stdin, once named, wins over the environment: the fix must point at that source.
    const file = /^file (.+)$/.exec(k.source)?.[1];
    const fix = file
      ? `put ${k.provider}'s key in ${file}, or pass --key-file ${k.provider}=PATH naming another file.`
      : k.source === 'stdin'
        ? `pipe ${k.provider}'s key in on stdin, e.g. \`pass show relay | holy verify --key-file ${k.provider}=-\`.`
        : `set ${where} in the environment or your .env (read with --env-file), or pass --key-file ${k.provider}=PATH.`;
    return {
      status: 'fail',
      detail: k.raw === undefined ? `no key (${where} is not set)` : `empty key in ${k.source}`,
      problem: {
        cause: k.raw === undefined ? `no key for ${k.provider}: ${where} is not set.` : `the key in ${describeSource(k.source)} is empty.`,
        fix,
      },
      candidates: [],
      send: false,
      hygiene: [],
      masked: '(none)',
    };
  }
  const { issues, cleaned } = keyHygiene(k.raw);
  const format = keyFormat(cleaned, k.keyPatterns);
  const masked = maskKey(cleaned);
  const fmt = format === 'unknown' ? 'unrecognised format' : `${format} format`;
  const base = { format, hygiene: issues, masked };
  const candidates: KeyVerdict['candidates'] = issues.length ? [{ label: 'raw', key: k.raw }, { label: 'trimmed', key: cleaned }] : [{ label: 'trimmed', key: cleaned }];
  let detail = `${k.source} ${masked}, ${fmt}`;
  if (issues.length) detail += `; ${issues.map((i) => i.message).join(', ')}`;
  if (url) {
    const v = checkKeyHost(cleaned, url, k.keyPatterns);
    if (!v.ok && !force) {
      return { ...base, status: 'fail', detail: `${detail}; refused, nothing sent`, problem: { cause: `${v.reason}; refused before any request was sent.`, fix: `${v.fix}.` }, candidates, send: false };
    }
    if (!v.ok) {
      return { ...base, status: 'warn', detail: `${detail}; sent anyway (--force)`, problem: { cause: `${v.reason}; sent anyway because of --force.`, fix: `${v.fix}.` }, candidates, send: true };
    }
  }
  if (issues.length) {
    return { ...base, status: 'warn', detail, problem: { cause: `${issues.map((i) => i.message).join(', ')}.`, fix: `${hygieneFix(issues, k.source, k.raw)}.` }, candidates, send: true };
  }
  return { ...base, status: 'pass', detail, candidates, send: true };
}
