/** A byte-preserving dotenv model: parse → print is the identity, values read exactly as the dotenv package reads them. */

/** One assignment as it appears in the file: `text` is its exact source (possibly several lines), `eol` the break after it. */
export interface EnvEntry {
  kind: 'entry';
  key: string;
  /** The value as dotenv.parse would report it. */
  value: string;
  text: string;
  eol: string;
  /** Offsets of the value's source (quotes included) inside `text`; equal when the value is empty. */
  valueStart: number;
  valueEnd: number;
  /** 1-based line number in the file this model was parsed from (0 for entries added later). */
  line: number;
}

/** Anything that is not an assignment (blank lines, comments, lines dotenv ignores), kept verbatim. */
export interface EnvRaw {
  kind: 'raw';
  text: string;
}

export type EnvToken = EnvEntry | EnvRaw;

export interface EnvFile {
  tokens: EnvToken[];
  /** The line ending used for new lines: the file's most common one, "\n" when it has none. */
  eol: string;
}

/*
 * dotenv's own LINE pattern (node_modules/dotenv/lib/main.js, v17), with capture groups added
 * around `export`, the separator and the value so we know where each part sits. Adding groups
 * does not change what matches; we reuse the pattern rather than write a grammar so that what
 * holy edits is exactly what the app's dotenv loader reads.
 */
const LINE =
  /(?:^|^)\s*(export\s+)?([\w.-]+)(\s*=\s*?|:\s+?)(\s*'(?:\\'|[^'])*'|\s*"(?:\\"|[^"])*"|\s*`(?:\\`|[^`])*`|[^#\r\n]+)?\s*(?:#.*)?(?:$|$)/dgm;

/** dotenv's value post-processing, applied to the value's source text (line breaks already "\n"). */
export function dotenvValue(source: string): string {
  let value = source.trim();
  const maybeQuote = value[0];
  value = value.replace(/^(['"`])([\s\S]*)\1$/gm, '$2');
  if (maybeQuote === '"') value = value.replace(/\\n/g, '\n').replace(/\\r/g, '\r');
  return value;
}

function dominantEol(text: string): string {
  const crlf = (text.match(/\r\n/g) ?? []).length;
  const lf = (text.match(/\n/g) ?? []).length - crlf;
  const cr = (text.match(/\r(?!\n)/g) ?? []).length;
  if (crlf === 0 && lf === 0 && cr === 0) return '\n';
  if (crlf >= lf && crlf >= cr) return '\r\n';
  return lf >= cr ? '\n' : '\r';
}

/** Start of the physical line holding offset i (after the previous \n or \r). */
function lineStart(text: string, i: number, floor: number): number {
  let j = i;
  while (j > floor && text[j - 1] !== '\n' && text[j - 1] !== '\r') j--;
  return j;
}

/** End of the physical line holding offset i (at its \r, \n or the end of text). */
function lineEnd(text: string, i: number): number {
  let j = i;
  while (j < text.length && text[j] !== '\n' && text[j] !== '\r') j++;
  return j;
}

function eolAt(text: string, i: number): string {
  if (text.startsWith('\r\n', i)) return '\r\n';
  if (text[i] === '\n' || text[i] === '\r') return text[i]!;
  return '';
}

/** Parse env-file text into tokens whose concatenation is the original text. */
export function parseEnv(text: string): EnvFile {
  // dotenv normalises \r\n and \r to \n before matching; we match on the same normalised text
  // and map offsets back, so CRLF files behave exactly as dotenv reads them.
  const norm = text.replace(/\r\n?/g, '\n');
  const toOrig = new Int32Array(norm.length + 1);
  for (let i = 0, j = 0; i <= norm.length; i++, j++) {
    toOrig[i] = j;
    if (text[j] === '\r' && text[j + 1] === '\n') j++;
  }
  let lineNo = 1;
  let counted = 0;
  const lineOf = (orig: number): number => {
    for (; counted < orig; counted++) if (text[counted] === '\n' || (text[counted] === '\r' && text[counted + 1] !== '\n')) lineNo++;
    return lineNo;
  };

  const tokens: EnvToken[] = [];
  let pos = 0; // original offset up to which tokens cover the text
  const pushRaw = (end: number) => {
    if (end > pos) tokens.push({ kind: 'raw', text: text.slice(pos, end) });
    pos = Math.max(pos, end);
  };
  // A fresh copy: the pattern is global (stateful lastIndex) and parseEnv may be re-entered by edits.
  const re = new RegExp(LINE.source, LINE.flags);
  let m: RegExpExecArray | null;
  while ((m = re.exec(norm)) !== null) {
    const idx = m.indices!;
    const keyStart = toOrig[idx[2]![0]]!;
    const exportStart = idx[1] ? toOrig[idx[1][0]]! : keyStart;
    const sepEnd = toOrig[idx[3]![1]]!;
    const vStart = idx[4] ? toOrig[idx[4][0]]! : sepEnd;
    const vEnd = idx[4] ? toOrig[idx[4][1]]! : sepEnd;
    const start = lineStart(text, exportStart, pos);
    // Usually the end of the value's physical line; a U+2028 (a line break to the regex, not to
    // editors) can end the match earlier, and the next entry may start right after it.
    const end = Math.min(lineEnd(text, vEnd), toOrig[idx[0]![1]]!);
    pushRaw(start);
    const eol = eolAt(text, end);
    const raw = norm.slice(idx[4]?.[0] ?? 0, idx[4]?.[1] ?? 0);
    tokens.push({
      kind: 'entry',
      key: m[2]!,
      value: idx[4] ? dotenvValue(raw) : '',
      text: text.slice(start, end),
      eol,
      valueStart: vStart - start,
      valueEnd: vEnd - start,
      line: lineOf(start),
    });
    pos = end + eol.length;
  }
  pushRaw(text.length);
  return { tokens, eol: dominantEol(text) };
}

/** The file's text: every byte as parsed, plus whatever edits were made to the tokens. */
export function printEnv(file: EnvFile): string {
  let s = '';
  for (const t of file.tokens) s += t.kind === 'raw' ? t.text : t.text + t.eol;
  return s;
}

/** All entries for a key, in file order. */
export function entriesOf(file: EnvFile, key: string): EnvEntry[] {
  return file.tokens.filter((t): t is EnvEntry => t.kind === 'entry' && t.key === key);
}

/** The values the app would see (last assignment wins, as in dotenv). */
export function envValues(file: EnvFile): Record<string, string> {
  const o: Record<string, string> = {};
  for (const t of file.tokens) if (t.kind === 'entry') o[t.key] = t.value;
  return o;
}
