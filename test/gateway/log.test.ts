import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeLog } from '../../src/gateway/log.js';

const turn = () => new Promise((r) => setImmediate(r));

test('batched log: info lines of one event-loop turn go out in one write; a warn goes out at once, after them', async () => {
  const writes: string[] = [];
  const log = makeLog((s) => void writes.push(s), 'info', () => 0, { batch: true });
  for (let i = 0; i < 50; i++) log('info', 'request', { n: i });
  log('debug', 'hidden');
  assert.equal(writes.length, 0, 'held until the turn ends');
  await turn();
  assert.equal(writes.length, 1, 'fifty request lines, one write');
  assert.equal(writes[0]!.split('\n').filter(Boolean).length, 50);
  log('info', 'a');
  log('error', 'b');
  assert.equal(writes.length, 3, 'the error flushed the held line first, then itself');
  assert.deepEqual(writes.slice(1).map((w) => JSON.parse(w).event), ['a', 'b']);
  log('info', 'c');
  log.flush();
  assert.equal(JSON.parse(writes[3]!).event, 'c', 'flush() writes what is held (at stop)');
  await turn();
  assert.equal(writes.length, 4, 'nothing written twice');
});

test('unbatched log (the default): one write per line, as logged', () => {
  const writes: string[] = [];
  const log = makeLog((s) => void writes.push(s), 'info', () => 0);
  log('info', 'x');
  log('info', 'y');
  assert.equal(writes.length, 2);
  assert.deepEqual([log.enabled('debug'), log.enabled('info'), log.enabled('error')], [false, true, true], 'enabled() follows the level');
});

test('a log line is byte for byte JSON.stringify({ts, level, event, ...fields}), whatever the fields', () => {
  const writes: string[] = [];
  let t = Date.UTC(2026, 10, 29, 1, 2, 3, 4);
  const log = makeLog((s) => void writes.push(s), 'debug', () => t);
  const cases: Array<Record<string, unknown> | undefined> = [
    undefined,
    {},
    { requestId: 'req_1', tenant: 'acme', ms: 1.25, tokens: { input: 9, cached: 0, output: 1, estimated: false } },
    { provider: undefined, arm: 'primary', fallback: false, note: 'quote " backslash \\ newline \n é 🐑' },
    { event: 'overrides', level: 'x' }, // a field named like the head's keys: the spread's result, as before
    { ts: 'mine' },
    { list: [1, 'two', null], nested: { deep: { deeper: true } } },
  ];
  for (const f of cases) {
    t += 0.4; // the same millisecond twice, then the next: the cached timestamp must follow the clock
    log('info', 'request "x"', f);
    const want = JSON.stringify({ ts: new Date(t).toISOString(), level: 'info', event: 'request "x"', ...(f ?? {}) }) + '\n';
    assert.equal(writes.at(-1), want, JSON.stringify(f));
  }
  const n = writes.length;
  log('info', 'bigint', { n: 1n });
  assert.equal(writes.length, n, 'a field that cannot be serialised drops the line, never throws');
});
