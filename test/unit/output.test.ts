import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeOut } from '../../src/ui/output.js';
import { formatTable } from '../../src/ui/table.js';
import { fakeCtx } from '../helpers/ctx.js';

const ESC = /\u001b\[/;

test('mode: json with --json, table on a TTY, tsv when piped', () => {
  assert.equal(makeOut(fakeCtx({ stdoutTTY: true }), { json: true }).mode, 'json');
  assert.equal(makeOut(fakeCtx({ stdoutTTY: true }), {}).mode, 'table');
  assert.equal(makeOut(fakeCtx({ stdoutTTY: false }), {}).mode, 'tsv');
});

test('colour is off when piped, with NO_COLOR, TERM=dumb or --no-color', () => {
  const on = makeOut(fakeCtx({ stdoutTTY: true, env: { TERM: 'xterm' } }), {});
  assert.ok(on.color && ESC.test(on.c.red('x')));
  for (const [env, g, tty] of [
    [{ NO_COLOR: '1' }, {}, true],
    [{ TERM: 'dumb' }, {}, true],
    [{}, { color: false }, true],
    [{}, {}, false],
  ] as const) {
    const o = makeOut(fakeCtx({ stdoutTTY: tty, env }), g);
    assert.equal(o.color, false);
    assert.ok(!ESC.test(o.c.red('x')));
  }
});

test('piped tables are tab-separated with a header row and no escapes; TTY tables are boxed', () => {
  const cols = [{ header: 'model' }, { header: 'usd', align: 'right' as const }];
  const rows = [['gpt-4.1', '1.50'], ['a\tb', '\u001b[31m2\u001b[39m']];
  assert.equal(formatTable({ mode: 'tsv', color: false }, cols, rows), 'model\tusd\ngpt-4.1\t1.50\na b\t2');
  assert.match(formatTable({ mode: 'table', color: false }, cols, rows), /┌|\+/);
});

test('info is hidden by -q, warnings are not; nothing goes to stdout', () => {
  const ctx = fakeCtx();
  const o = makeOut(ctx, { quiet: true });
  o.info('progress');
  o.warn('careful');
  o.debug('detail');
  assert.equal(ctx.out(), '');
  assert.match(ctx.err(), /careful/);
  assert.doesNotMatch(ctx.err(), /progress|detail/);
});
