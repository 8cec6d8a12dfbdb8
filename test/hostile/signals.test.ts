/**
 * SIGTERM and SIGHUP during bench behave like Ctrl-C (the real binary, real signals): sending stops,
 * what was measured is written as valid files, no temp file is left, and the exit code names the
 * signal. A second signal exits at once and still leaves no temp file.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HOLY_BIN } from '../helpers/ctx.js';

const KEY = 'hs-signaltestkey00000000000000001';
let server: Server;
let url = '';
let answered = 0;
const waiting: Array<() => void> = [];
/** Resolves when the server holds a request it will never answer (the run is mid-flight). */
let onHung: (() => void) | undefined;

before(async () => {
  server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      if (!req.url?.endsWith('/chat/completions')) return void res.writeHead(404).end();
      // The first 4 answers come at once; every later request hangs (a provider stalling mid-run).
      if (answered >= 4) {
        waiting.push(() => res.destroy());
        onHung?.();
        return;
      }
      answered++;
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ id: 'c', object: 'chat.completion', model: 'gpt-4o-mini', choices: [{ index: 0, message: { role: 'assistant', content: 'fine' }, finish_reason: 'stop' }], usage: { prompt_tokens: 5, completion_tokens: 1 } }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
});
after(async () => {
  for (const w of waiting) w();
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
});

async function stopped(signals: NodeJS.Signals[]): Promise<{ code: number | null; stderr: string; dir: string }> {
  answered = 0;
  const dir = mkdtempSync(join(tmpdir(), 'holy-signal-'));
  writeFileSync(join(dir, 't.jsonl'), Array.from({ length: 20 }, (_, i) => JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: `q${i}` }] })).join('\n') + '\n');
  const hung = new Promise<void>((r) => (onHung = r));
  const child = spawn(process.execPath, ['--', HOLY_BIN, 'bench', 't.jsonl', '--old', `a=${url}`, '--new', `b=${url}`, '-c', '1', '--out', 'r.jsonl', '--csv', 'r.csv', '--html', 'r.html', '--yes'], {
    cwd: dir,
    env: { PATH: process.env.PATH, A_API_KEY: KEY, B_API_KEY: KEY },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c));
  child.stdout.resume();
  const closed = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
  await hung;
  for (const s of signals) child.kill(s);
  return { code: await closed, stderr, dir };
}

describe('hard stops during bench', () => {
  for (const [sig, code] of [['SIGTERM', 143], ['SIGHUP', 129]] as const) {
    test(`${sig}: stops like Ctrl-C, writes valid partial results, removes temp files, exits ${code}`, { skip: process.platform === 'win32' }, async () => {
      const r = await stopped([sig]);
      try {
        assert.equal(r.code, code, r.stderr);
        assert.match(r.stderr, /interrupted: 2 pair\(s\) measured and written/);
        const files = readdirSync(r.dir).sort();
        assert.deepEqual(files, ['r.csv', 'r.html', 'r.jsonl', 't.jsonl'], 'no temp file left');
        const lines = readFileSync(join(r.dir, 'r.jsonl'), 'utf8').trim().split('\n');
        assert.equal(lines.length, 4);
        for (const l of lines) JSON.parse(l);
        assert.equal(readFileSync(join(r.dir, 'r.csv'), 'utf8').trim().split('\n').length, 5);
        assert.match(readFileSync(join(r.dir, 'r.html'), 'utf8'), /<\/html>/);
      } finally {
        rmSync(r.dir, { recursive: true, force: true });
      }
    });
  }

  test('a second signal exits at once with its code and leaves no temp file', { skip: process.platform === 'win32' }, async () => {
    // Both are pending together, and the kernel delivers the lower-numbered first: either may come second.
    const r = await stopped(['SIGTERM', 'SIGINT']);
    try {
      assert.ok(r.code === 130 || r.code === 143, `exit ${r.code}: ${r.stderr}`);
      assert.doesNotMatch(r.stderr, /measured and written/, 'it left at once, without the graceful summary');
      const files = readdirSync(r.dir);
      assert.deepEqual(files.filter((f) => f.endsWith('.tmp')), [], `left: ${files.join(', ')}`);
    } finally {
      rmSync(r.dir, { recursive: true, force: true });
    }
  });
});
