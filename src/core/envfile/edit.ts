/** Edits on the dotenv model that touch only the value (or the whole entry) and keep every other byte. */
import { UsageError } from '../../errors.js';
import { parseEnv, printEnv, type EnvEntry, type EnvFile } from './parse.js';

/** The quote style of an entry's value source: ', ", ` or '' (unquoted). */
export function quoteOf(entry: EnvEntry): string {
  const core = entry.text.slice(entry.valueStart, entry.valueEnd).trim();
  const q = core[0];
  return q === "'" || q === '"' || q === '`' ? q : '';
}

/** True if `KEY=<source>` reads back as exactly `value` with dotenv's rules. */
function readsBack(source: string, value: string): boolean {
  const f = parseEnv(`K=${source}\n`);
  const e = f.tokens[0];
  return f.tokens.length === 1 && e?.kind === 'entry' && e.value === value;
}

/**
 * Source text for a value, in the preferred quote style when that reads back exactly, else the
 * first style that does. Double quotes expand \n, so a value holding "\n" literally needs another style.
 * `name` is the variable, for the error: the value itself may be a key, so it is never shown.
 */
export function encodeValue(value: string, prefer = '', name = 'a variable'): string {
  const styles = [prefer, '', "'", '"', '`'].filter((s, i, a) => a.indexOf(s) === i);
  for (const q of styles) {
    const src = q ? q + value + q : value;
    if (readsBack(src, value)) return src;
  }
  throw new UsageError(
    `the new value of ${name} cannot be written so that dotenv reads back exactly that value: no quoting (none, '…', "…" or \`…\`) holds it — it mixes quote characters with a #, a line break or spaces at an end.`,
    'check where the value comes from (for a key: its key file or variable); holy does not print it.',
  );
}

/** The entry with its value replaced, keeping prefix, quote style, spacing and inline comment. */
export function setEntryValue(entry: EnvEntry, value: string): EnvEntry {
  const src = entry.text.slice(entry.valueStart, entry.valueEnd);
  const lead = /^\s*/.exec(src)![0].length;
  const trail = src.length - src.trimEnd().length;
  const coreStart = entry.valueStart + lead;
  const coreEnd = Math.max(coreStart, entry.valueEnd - trail);
  let enc = encodeValue(value, quoteOf(entry), entry.key);
  let before = entry.text.slice(0, coreStart);
  // "KEY: value" needs whitespace after the colon; "KEY=" with an empty value has none to keep.
  if (/:$/.test(before) && enc !== '') before += ' ';
  const after = entry.text.slice(coreEnd);
  // An unquoted value directly followed by "#" would swallow nothing, but keep a space for readability.
  if (after.startsWith('#') && enc !== '' && !/['"`]$/.test(enc)) enc += ' ';
  const text = before + enc + after;
  return { ...entry, value, text, valueStart: before.length, valueEnd: before.length + enc.length };
}

/** A new `KEY=value` entry. */
export function newEntry(key: string, value: string, eol: string): EnvEntry {
  const enc = encodeValue(value, '', key);
  const prefix = `${key}=`;
  return { kind: 'entry', key, value, text: prefix + enc, eol, valueStart: prefix.length, valueEnd: prefix.length + enc.length, line: 0 };
}

/** Append an entry, first giving the file a final line break if it lacks one. */
export function appendEntry(file: EnvFile, entry: EnvEntry): void {
  const last = file.tokens[file.tokens.length - 1];
  if (last) {
    if (last.kind === 'entry' && last.eol === '') last.eol = file.eol;
    else if (last.kind === 'raw' && !/[\r\n]$/.test(last.text)) last.text += file.eol;
  }
  file.tokens.push(entry);
}

/** Whether the text ends with a line break (or is empty). */
export function endsWithEol(text: string): boolean {
  return text === '' || /[\r\n]$/.test(text);
}

/** A deep copy, so plans never mutate the model they were computed from. */
export function cloneEnv(file: EnvFile): EnvFile {
  return { eol: file.eol, tokens: file.tokens.map((t) => ({ ...t })) };
}

/** Re-read the printed file and confirm the app would see `expect` for each key. */
export function assertReadsBack(file: EnvFile, expect: Record<string, string | undefined>): void {
  const text = printEnv(file);
  const again = parseEnv(text);
  const seen: Record<string, string> = {};
  for (const t of again.tokens) if (t.kind === 'entry') seen[t.key] = t.value;
  for (const [k, v] of Object.entries(expect)) {
    if (seen[k] !== v) throw new Error(`internal check failed: ${k} would not read back as planned`);
  }
}
