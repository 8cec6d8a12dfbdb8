/**
 * Issue 9's acceptance test: one hostile server, every command that talks to it, and every byte holy
 * wrote (stdout, stderr, every output file) searched for any 12-character piece of the keys and for
 * ESC, C1 and bidi control characters.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runHoly } from '../helpers/ctx.js';
import { startHostile, type Hostile } from './server.js';

const OLD = 'hs-Zq8vN3kT5wR1yB7mC2xL9pD4fG6hJ0sA';
const NEW = 'hs-Pw4eX9rU2tY6iO1aS8dF3gH7jK5lZ0cV';
const ENV = { HOLD_API_KEY: OLD, HNEW_API_KEY: NEW };

/** Every 12-character piece of either key found in `text`, plus any terminal control character. */
export function leaks(text: string): string[] {
  const found: string[] = [];
  for (const k of [OLD, NEW]) {
    for (let i = 0; i + 12 <= k.length; i++) if (text.includes(k.slice(i, i + 12))) found.push(k.slice(i, i + 12));
  }
  // eslint-disable-next-line no-control-regex
  const ctl = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/.exec(text);
  if (ctl) found.push(`control U+${ctl[0].charCodeAt(0).toString(16).padStart(4, '0')} near ${JSON.stringify(text.slice(Math.max(0, ctl.index - 30), ctl.index + 10))}`);
  const escaped = /\\u00(1b|9b|07)|\\u202e/i.exec(text);
  if (escaped) found.push(`escaped control ${escaped[0]}`);
  return [...new Set(found)];
}

let h: Hostile;
let dir: string;
const written: Array<{ what: string; text: string }> = [];

function setup(mode: 'echo' | 'err' | 'huge' | 'deep' | 'auth', extra: Record<string, unknown> = {}): string {
  const d = mkdtempSync(join(dir, `${mode}-`));
  const providers = { hold: { baseURL: h.url(mode), ...extra }, hnew: { baseURL: h.url(mode), ...extra } };
  writeFileSync(join(d, 'holy.config.json'), JSON.stringify({ providers, old: 'hold', new: 'hnew' }));
  const lines = Array.from({ length: 4 }, (_, i) => JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: `question ${i}` }], max_tokens: 16, ...(i % 2 ? { stream: true } : {}) }));
  writeFileSync(join(d, 'traffic.jsonl'), lines.join('\n') + '\n');
  return d;
}

async function holy(cwd: string, argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const r = await runHoly(argv, { cwd, env: ENV });
  written.push({ what: `holy ${argv.join(' ')} (stdout)`, text: r.stdout }, { what: `holy ${argv.join(' ')} (stderr)`, text: r.stderr });
  return r;
}

/** Collect every file holy wrote in `d` (the config and traffic files are ours). */
function collectFiles(d: string): string[] {
  const files = readdirSync(d).filter((f) => f !== 'holy.config.json' && f !== 'traffic.jsonl');
  for (const f of files) written.push({ what: `${d}/${f}`, text: readFileSync(join(d, f), 'utf8') });
  return files;
}

describe('a hostile server cannot leak a key or reach the terminal', () => {
  before(async () => {
    h = await startHostile();
    dir = mkdtempSync(join(tmpdir(), 'holy-hostile-'));
  });
  after(async () => {
    await h.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('verify (models + chat probe), plain and --json, against key-echoing 200s and 429s', async () => {
    for (const mode of ['echo', 'err'] as const) {
      const d = setup(mode);
      for (const json of [[], ['--json']]) {
        const r = await holy(d, ['verify', '--model', 'gpt-4o-mini', ...json]);
        assert.ok(r.code === 0 || r.code === 3, `${mode}: exit ${r.code}: ${r.stderr}`);
      }
    }
    const echoOut = written.find((w) => w.what === 'holy verify --model gpt-4o-mini (stdout)')!.text;
    assert.match(echoOut, /request id req_\[key redacted\]/, 'the request id is shown, with the key taken out');
    const errJson = written.filter((w) => w.what === 'holy verify --model gpt-4o-mini --json (stdout)').at(-1)!.text;
    assert.match(errJson, /429/);
  });

  test('models, models --diff and models check', async () => {
    const d = setup('echo');
    const list = await holy(d, ['models']);
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, /gpt-4o-mini/);
    assert.match(list.stdout, /\[key redacted\]/, 'a model id that is the key is listed redacted');
    assert.ok((await holy(d, ['models', '--diff', 'hold', 'hnew'])).code <= 3);
    assert.ok((await holy(d, ['models', '--json'])).code === 0);
    assert.ok((await holy(d, ['models', 'check', 'gpt-4o-mini'])).code <= 3);
  });

  test('bench --out/--csv/--html with streamed and plain answers, worst pairs shown', async () => {
    const d = setup('echo');
    const r = await holy(d, ['bench', 'traffic.jsonl', '--out', 'r.jsonl', '--csv', 'r.csv', '--html', 'r.html', '--show-worst', '3', '--yes']);
    assert.equal(r.code, 0, r.stderr);
    const files = collectFiles(d);
    assert.deepEqual(files.sort(), ['r.csv', 'r.html', 'r.jsonl']);
    const lines = readFileSync(join(d, 'r.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { response: { body: { choices: Array<{ message: { content: string } }> } } });
    assert.equal(lines.length, 8);
    const content = lines[0]!.response.body.choices[0]!.message.content;
    assert.match(content, /^OK \[key redacted\] evil\nholy: FAKE LINE \[key redacted\] and \[key redacted\]\noverwritten$/, 'text kept, key and controls gone');
    const json = await holy(d, ['bench', 'traffic.jsonl', '--json', '--yes', '--stream', 'on']);
    assert.equal(json.code, 0, json.stderr);
  });

  test('bench against 429s that echo the key: errors are classified and redacted', async () => {
    const d = setup('err');
    const r = await holy(d, ['bench', 'traffic.jsonl', '--out', 'r.jsonl', '--csv', 'r.csv', '--yes']);
    assert.equal(r.code, 0, r.stderr);
    collectFiles(d);
    assert.match(readFileSync(join(d, 'r.jsonl'), 'utf8'), /"errorClass":"rate_limited"/);
  });

  test('endless bodies (JSON, SSE, /models) are cut off as too_large, not buffered', async () => {
    const d = setup('huge', { maxResponseBytes: 1 << 20 });
    const before = h.endlessBytes;
    const r = await holy(d, ['bench', 'traffic.jsonl', '--out', 'r.jsonl', '--yes', '--timeout', '60000']);
    assert.equal(r.code, 0, r.stderr);
    collectFiles(d);
    const rows = readFileSync(join(d, 'r.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { outcome?: unknown });
    assert.equal(rows.length, 8);
    assert.match(readFileSync(join(d, 'r.jsonl'), 'utf8'), /"errorClass":"too_large"/);
    assert.doesNotMatch(readFileSync(join(d, 'r.jsonl'), 'utf8'), /"errorClass":"(timeout|reset)"/);
    const v = await holy(d, ['verify', '--model', 'gpt-4o-mini', '--json']);
    assert.equal(v.code, 3);
    assert.match(v.stdout, /too_large/);
    // Without a configured cap, /models stops at its default (8 MiB).
    const dflt = setup('huge');
    const m = await holy(dflt, ['models']);
    assert.notEqual(m.code, 0);
    assert.match(m.stderr, /response body too large to be real \(the response passed 8388608 bytes and was cut off\)/);
    // Each cut-off request stopped near the cap: far less than endless (a server-side count, no clock).
    assert.ok(h.endlessBytes - before < 96 * (1 << 20), `${h.endlessBytes - before} bytes pushed`);
  });

  test('answers nested 20,000 levels deep are capped; --out still writes every line', async () => {
    const d = setup('deep');
    const r = await holy(d, ['bench', 'traffic.jsonl', '--out', 'r.jsonl', '--stream', 'off', '--yes']);
    assert.equal(r.code, 0, r.stderr);
    collectFiles(d);
    const text = readFileSync(join(d, 'r.jsonl'), 'utf8');
    assert.equal(text.trim().split('\n').length, 8);
    assert.match(text, /too deeply nested/);
    assert.equal((await holy(d, ['models'])).code, 0);
  });

  test('no byte holy wrote holds a 12-character piece of a key, an ESC, a C1 control or a bidi override', () => {
    assert.ok(written.length > 30, `${written.length} outputs checked`);
    const bad = written.map((w) => ({ what: w.what, found: leaks(w.text) })).filter((x) => x.found.length);
    assert.deepEqual(bad, []);
  });
});
