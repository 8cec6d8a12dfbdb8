/**
 * Is this really a dotenv file? dotenv itself reads almost anything (it skips lines it does not
 * understand, and accepts `KEY: value`), so a docker-compose file or a k8s manifest "parses" —
 * and editing one as dotenv breaks it. holy edits only files in which every line is blank, a
 * comment, or an assignment; anything else is a reason to refuse untouched. dotenv's own
 * `KEY: value` form is accepted on unindented lines of a file that also has `KEY=value` lines;
 * a file whose every assignment is `KEY: value` is a YAML mapping, and an indented one is YAML
 * nested under some key (a compose `environment:` block).
 */
import type { EnvFile } from './parse.js';

export interface FormatProblem {
  /** 1-based line of the first line that is not dotenv. */
  line: number;
  /** What the file looks like instead. */
  looksLike: 'JSON' | 'YAML' | 'unknown';
  /** One phrase describing that line. */
  why: string;
}

const ASSIGNMENT = /^\s*(export\s+)?[\w.-]+\s*=/;

/** Classify one line that is not a dotenv assignment or comment. */
function describe(line: string): Pick<FormatProblem, 'looksLike' | 'why'> {
  // Only its first line: dotenv's pattern lets `key:` run on into the next line (`\s` matches a break).
  const t = line.replace(/^\uFEFF/, '').split(/\r\n|\r|\n/)[0]!;
  if (/^\s*[{[]/.test(t)) return { looksLike: 'JSON', why: 'it starts a JSON object or array' };
  if (/^(---|\.\.\.)\s*$/.test(t)) return { looksLike: 'YAML', why: 'it is a YAML document marker' };
  if (/^\s*-(\s|$)/.test(t)) return { looksLike: 'YAML', why: 'it is a YAML list item' };
  const key = /^\s*([\w.-]+)\s*:[ \t]*(\S)?/.exec(t);
  if (key && !key[2]) return { looksLike: 'YAML', why: `it opens a YAML mapping ("${key[1]}:")` };
  if (key) return { looksLike: 'YAML', why: 'it is a YAML "key: value" line' };
  return { looksLike: 'unknown', why: 'it is neither a KEY=value assignment nor a comment' };
}

/** The first line that shows this is not a dotenv file, or undefined when every line is dotenv. */
export function formatProblem(file: EnvFile): FormatProblem | undefined {
  let line = 1;
  let firstColon: FormatProblem | undefined;
  let equals = 0;
  const breaks = (s: string) => (s.match(/\r\n|\r|\n/g) ?? []).length;
  for (const t of file.tokens) {
    if (t.kind === 'entry') {
      if (ASSIGNMENT.test(t.text)) equals++;
      else if (/^[ \t]/.test(t.text.replace(/^\uFEFF/, ''))) return firstColon ?? { line, looksLike: 'YAML', why: 'it is an indented YAML "key: value" line' };
      else firstColon ??= { line, ...describe(t.text) };
      line += breaks(t.text) + (t.eol ? 1 : 0);
      continue;
    }
    for (const l of t.text.split(/\r\n|\r|\n/)) {
      const s = l.replace(/^\uFEFF/, '').trim();
      if (s !== '' && !s.startsWith('#')) return { line, ...describe(l) };
      line++;
    }
    line--; // the text after the last break is not a new line of its own
  }
  return equals === 0 ? firstColon : undefined;
}
