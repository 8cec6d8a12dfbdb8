/**
 * A/A self-check: the same simulator on both sides, with and without usage, streamed and not.
 * A provider compared with itself names no winner in any TTFT/E2E p50/p99 row, and holy's own work
 * (the tokenizer above all) never runs on the thread that timestamps chunks. No wall-clock upper
 * bounds here (the tight "p99 within 30 ms of injected" check is `npm run bench:aa`): figures are
 * compared with the simulator's injected timings only from below, and with each other.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startMock } from '../../src/mock/server.js';
import { summaryRows } from '../../src/core/bench/rows.js';
import { loadedEncodings } from '../../src/core/tokens.js';
import { bench, traffic } from './helpers.js';

const TTFT = 100;
const PER_TOKEN = 5;
const TOKENS = 40;
// The simulator sends the first token at TTFT and each further one PER_TOKEN later.
const INJECTED_E2E = TTFT + (TOKENS - 1) * PER_TOKEN;

for (const usage of [false, true]) {
  for (const stream of ['on', 'off'] as const) {
    describe(`A/A: one simulator on both sides, ${usage ? 'with' : 'without'} usage, --stream ${stream}`, () => {
      test('no TTFT/E2E p50/p99 row names a winner; tokens counted as the server allows; no tokenizer on the timing thread', async () => {
        const m = await startMock({ latency: { ttftMs: TTFT, perTokenMs: PER_TOKEN }, ignoreIncludeUsage: !usage });
        const dir = mkdtempSync(join(tmpdir(), 'holy-aa-'));
        try {
          const file = traffic(dir, 8, { max_tokens: TOKENS });
          // One warm-up pair per connection: connection set-up is not what an A/A run compares.
          const r = await bench([file, '--old', `a=${m.url}`, '--new', `b=${m.url}`, '--stream', stream, '-c', '4', '--warmup', '4', '-n', '24', '--json'], { A_API_KEY: 'hs-aatestkey0001', B_API_KEY: 'hs-aatestkey0001' });
          assert.equal(r.code, 0, r.stderr);
          const s = JSON.parse(r.stdout).summary;
          for (const p of [s.old, s.new]) {
            assert.equal(p.ok, 24);
            // Non-streamed responses always carry usage; streams carry it only when the server honours include_usage.
            assert.deepEqual(p.outputTokensSource, usage || stream === 'off' ? { server: 24, local: 0 } : { server: 0, local: 24 });
            // The simulator's pieces are not exactly tokenizer tokens: a local count is close, not equal.
            if (p.outputTokensSource.local) assert.ok(Math.abs(p.outputTokens / (24 * TOKENS) - 1) < 0.1, `local count ${p.outputTokens}`);
            else assert.equal(p.outputTokens, 24 * TOKENS);
            assert.ok(p.e2eMs.min >= INJECTED_E2E - 1, `E2E ${p.e2eMs.min} ms is below the injected ${INJECTED_E2E} ms`);
            if (stream === 'on') assert.ok(p.ttftMs.min >= TTFT - 1, `TTFT ${p.ttftMs.min} ms is below the injected ${TTFT} ms`);
          }
          const rows = summaryRows(s, false).filter((x) => /^(TTFT|E2E) p(50|99) ms$/.test(x.metric));
          assert.equal(rows.length, stream === 'on' ? 4 : 2);
          for (const row of rows) assert.equal(row.better ?? null, null, `A/A named a winner: ${JSON.stringify(row)}`);
          // Counting ran on the pair worker: this (timing) thread never loaded an encoding.
          assert.deepEqual(loadedEncodings(), []);
        } finally {
          await m.close();
          rmSync(dir, { recursive: true, force: true });
        }
      });
    });
  }
}
