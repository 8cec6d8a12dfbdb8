/**
 * What a shadow copy costs the gateway's event loop, pinned by counting (bench/gateway's `shadow` part
 * measures the time): the primary's request object is what the copy sends, the pair is one write and
 * a turn's pairs share it, a turn's spend is one store INCR, a clean line is serialised once and never
 * walked string by string, and the price in pico-dollars is costUSD's, rounded up.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../helpers/tmp.js';
import { embeddedStore } from '../../src/gateway/store/embedded.js';
import { Shadow, type ShadowSend } from '../../src/gateway/cutover/shadow.js';
import { picoCost, shadowBody, PICO } from '../../src/gateway/cutover/shadow-copy.js';
import { RotatingFile, cleanLine, redactLine, servedLine } from '../../src/gateway/cutover/recorder.js';
import { builtinPriceTable, costUSD, type PriceRow } from '../../src/core/prices.js';
import { redact as redactKeys } from '../../src/core/redact.js';
import { KEY_PIECE, Untrusted } from '../../src/core/untrusted.js';
import type { CallResult } from '../../src/core/chat.js';
import type { GatewayStore, Served } from '../../src/gateway/contract.js';
import type { ResultLine } from '../../src/core/bench/record.js';
import { servedAt } from './served-fixture.js';

const T0 = Date.UTC(2026, 10, 28, 12, 0, 0);
const served = (o: Partial<Served> = {}): Served => servedAt(T0, o);
const usage = { prompt_tokens: 1000, completion_tokens: 500 };
const okCall = (): CallResult => ({ ok: true, status: 200, stream: false, itl: [], usageSeen: false, e2eMs: 5, usage, completion: { id: 'x', object: 'chat.completion', model: 'gpt-4.1', choices: [{ index: 0, message: { role: 'assistant', content: 'hi' }, finish_reason: 'stop' }], usage } as never });

/** A store that counts its calls. */
function countingStore(): { store: GatewayStore; calls: Record<string, number> } {
  const inner = embeddedStore();
  const calls: Record<string, number> = {};
  const store = new Proxy(inner, {
    get(t, k, r) {
      const v = Reflect.get(t, k, r) as unknown;
      if (typeof v !== 'function') return v;
      return (...a: unknown[]) => {
        calls[String(k)] = (calls[String(k)] ?? 0) + 1;
        return (v as (...x: unknown[]) => unknown).apply(t, a);
      };
    },
  });
  return { store, calls };
}

function shadowWith(send: ShadowSend, o: { file?: RotatingFile; store?: GatewayStore; untrusted?: Untrusted } = {}): Shadow {
  return new Shadow({
    config: { provider: 'holysheep', percent: 100, maxInFlight: 1000 }, store: o.store ?? embeddedStore(), prices: builtinPriceTable(),
    metrics: { count: () => {}, gauge: () => {} }, log: () => {}, clock: () => performance.now(), now: () => T0,
    send, ...(o.file ? { file: o.file } : {}), ...(o.untrusted ? { untrusted: o.untrusted } : {}),
  });
}

test('the copy sends the primary’s request object itself (no re-built body); a stream gets a copy asking for usage, the primary’s object untouched', async () => {
  const seen: Array<Record<string, unknown>> = [];
  const shadow = shadowWith(async (_p, body) => (seen.push(body), okCall()));
  const plain = served();
  const streamed = served({ request: { model: 'gpt-4.1', messages: [], stream: true, stream_options: { foo: 1 } } });
  shadow.mirror(plain);
  shadow.mirror(streamed);
  await shadow.idle();
  assert.equal(seen.length, 2);
  assert.ok(seen.includes(plain.request), 'the non-streamed copy is the very object the primary was sent');
  const s = seen.find((b) => b !== plain.request)!;
  assert.deepEqual(s.stream_options, { foo: 1, include_usage: true });
  assert.deepEqual(streamed.request.stream_options, { foo: 1 }, 'the primary’s request is not altered');
  const already = { model: 'm', stream: true, stream_options: { include_usage: true } };
  assert.equal(shadowBody(already), already, 'a stream that already asks for usage is sent as is');
});

test('pairs finishing in the same turn go to the file in one write, two lines each, joined on the id', async () => {
  const dir = tempDir('holy-shadow-cost-');
  const file = await RotatingFile.open(join(dir, 's.jsonl'), { maxBytes: 1e9, keep: 1 });
  const N = 50;
  const shadow = shadowWith(async () => okCall(), { file });
  for (let i = 0; i < N; i++) shadow.mirror(served());
  await shadow.idle();
  await file.close();
  const lines = readFileSync(join(dir, 's.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.equal(lines.length, 2 * N);
  assert.equal(file.written, 2 * N, 'lines are counted, not writes');
  assert.ok(file.writes < N, `${2 * N} lines in ${file.writes} writes: batched, not one per line or per pair`);
  assert.equal(file.writes, 1, 'copies answered in one turn share one write');
  for (let i = 0; i < lines.length; i += 2) {
    assert.deepEqual([lines[i].role, lines[i + 1].role], ['old', 'new']);
    assert.equal(lines[i].id, lines[i + 1].id, 'a pair’s two lines are adjacent');
  }
});

test('RotatingFile: lines queued in one turn are one write; a later turn is another', async () => {
  const dir = tempDir('holy-shadow-cost-');
  const file = await RotatingFile.open(join(dir, 'r.jsonl'), { maxBytes: 1e9, keep: 1 });
  for (let i = 0; i < 100; i++) file.write(JSON.stringify({ i }));
  await file.idle();
  assert.equal(file.writes, 1);
  file.write('{"a":1}\n{"b":2}', 2);
  await file.idle();
  assert.equal(file.writes, 2);
  assert.equal(file.written, 102);
  await file.close();
  assert.equal(readFileSync(join(dir, 'r.jsonl'), 'utf8').trim().split('\n').length, 102);
});

test('the spend of copies ending in one turn is one INCR, and adds up exactly', async () => {
  const { store, calls } = countingStore();
  const N = 40;
  const shadow = shadowWith(async () => okCall(), { store });
  for (let i = 0; i < N; i++) shadow.mirror(served());
  await shadow.idle();
  assert.ok((calls.incr ?? 0) < N, `${calls.incr} INCRs for ${N} copies`);
  assert.equal(calls.incr, 1);
  const one = costUSD(builtinPriceTable().rows.get('gpt-4.1')!, { input: 1000, cached: 0, output: 500 });
  assert.equal(await store.get('cutover:shadow:cost:holysheep:2026-11-28'), one.times(PICO).times(N).toFixed());
});

test('picoCost is costUSD × 1e12 rounded up, exactly, for every built-in row; past six decimals it is Decimal’s answer', () => {
  let x = 7;
  const rnd = (n: number) => (x = (x * 48271) % 2147483647) % n;
  const rows = [...builtinPriceTable().rows.values()];
  assert.ok(rows.length > 10);
  for (const row of rows) {
    for (let k = 0; k < 20; k++) {
      const input = rnd(2_000_000);
      const t = { input, cached: rnd(input + 1), output: rnd(200_000) };
      assert.equal(picoCost(row, t), costUSD(row, t).times(PICO).ceil().toNumber(), `${row.model} ${JSON.stringify(t)}`);
    }
  }
  const odd: PriceRow = { model: 'odd', input: '0.0000001', cachedInput: null, output: '1e-7', source: 't', date: 'd' };
  assert.equal(picoCost(odd, { input: 3, cached: 0, output: 1 }), costUSD(odd, { input: 3, cached: 0, output: 1 }).times(PICO).ceil().toNumber());
  assert.equal(picoCost(odd, { input: 3, cached: 0, output: 1 }), 1);
});

// ------------------------------------------------------------------------------ cleaning a line

/** cleanLine as it was: every string of the line walked and rebuilt by Untrusted.value. */
function reference(l: ResultLine, res: RegExp[], u: Untrusted | undefined): string {
  const masked = redactLine(l, res);
  return redactKeys(JSON.stringify(u ? u.value(masked) : masked));
}

test('a clean line is serialised once and not walked; a line holding a key or a control character is cleaned as before', () => {
  const key = ['hs', 'shadowkey', 'Q7w8E9r0T1y2U3i4'].join('-');
  const u = new Untrusted([key]);
  let walks = 0;
  const value = u.value.bind(u);
  u.value = ((v: unknown, d?: number) => (d === undefined && walks++, value(v, d))) as Untrusted['value'];
  const line = (content: string) => servedLine(served({ request: { model: 'gpt-4.1', messages: [{ role: 'user', content }] }, text: 'ok' }), 'old', { file: 'f', line: 1 });
  const clean = line('Summarise "this" \\ text, with\nnewlines\tand tabs, é and 中文');
  assert.equal(cleanLine(clean, [], u), reference(clean, [], undefined));
  assert.equal(walks, 0, 'a clean line is not walked string by string');
  for (const dirty of [`paste ${key} here`, `piece ${key.slice(5, 5 + KEY_PIECE)} here`, 'red \u001b[31mtext', 'bidi \u202e txt', 'del \u007f', 'cr\r\nlf']) {
    const l = line(dirty);
    const before: number = walks;
    const got = cleanLine(l, [], u);
    assert.equal(walks, before + 1, `walked: ${JSON.stringify(dirty)}`);
    assert.equal(got, reference(l, [], u), JSON.stringify(dirty));
    assert.ok(!got.includes(key.slice(5, 5 + KEY_PIECE)) && !got.includes('\\u001b') && !got.includes('\u202e'));
  }
});

test('cleanLine equals the string-by-string cleaning on many lines (keys, pieces, controls, quotes, nesting, patterns)', () => {
  let x = 11;
  const rnd = (n: number) => (x = (x * 48271) % 2147483647) % n;
  const keys = [['sk', 'proj', 'A1b2C3d4E5f6G7h8J9k0L1m2'].join('-'), 'gwbench-upstream-key', 'short6', 'a"quoted\\key-0123456789'];
  const bits = ['hello', ' ', '"', '\\', '\n', '\t', '\r', '\u001b[2J', '\u0007', '\u007f', '\u0085', '\u202e', '\u061c', 'chatcmpl-gwbench', 'é', '😀', '\\u001b', ['sk', 'live_0123456789abcdef'].join('-'), 'Bearer abcdefgh12345678'];
  for (const k of keys) for (let i = 0; i + KEY_PIECE <= k.length; i += 5) bits.push(k.slice(i, i + KEY_PIECE));
  const text = () => Array.from({ length: 1 + rnd(12) }, () => bits[rnd(bits.length)]).join('');
  const nest = (d: number): unknown => (d === 0 ? text() : rnd(2) ? [nest(d - 1), text()] : { [text()]: nest(d - 1) });
  const patterns = [/\d{4}/g, /hello/gi];
  for (const us of [new Untrusted(keys.slice(0, 3)), new Untrusted(keys), undefined]) {
    for (let n = 0; n < 300; n++) {
      const depth = rnd(10) === 0 ? 70 : rnd(5);
      const l = servedLine(served({ request: { model: 'gpt-4.1', messages: [{ role: 'user', content: text() }], extra: nest(depth) }, text: text(), error: text() }), 'old', { file: 'f', line: n });
      const res = rnd(3) === 0 ? patterns : [];
      assert.equal(cleanLine(l, res, us), reference(l, res, us), `line ${n}`);
    }
  }
});
