import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startProgress } from '../../src/ui/progress.js';
import { makeOut } from '../../src/ui/output.js';
import { fakeCtx } from '../helpers/ctx.js';

/** A clock the test sets by hand. */
function manual(t: number) {
  const c = { t, clock: () => c.t };
  return c;
}

for (const origin of [0, 500, 1_000_000]) {
  test(`plain progress: the first line comes one interval after progress started (clock at ${origin} ms)`, async () => {
    const c = manual(origin);
    const ctx = fakeCtx({ clock: c.clock });
    const p = await startProgress(ctx, makeOut(ctx, {}), 'start', 2000);
    p.update('a');
    c.t = origin + 1999;
    p.update('b');
    assert.equal(ctx.err(), '', 'nothing before the interval has passed since the start');
    c.t = origin + 2000;
    p.update('c');
    c.t = origin + 3000;
    p.update('d');
    c.t = origin + 4000;
    p.update('e');
    p.done('end');
    assert.equal(ctx.err(), 'c\ne\nend\n');
  });
}

test('plain progress is silent with -q and for --json when stderr is not a terminal', async () => {
  const c = manual(0);
  for (const g of [{ quiet: true }, { json: true }]) {
    const ctx = fakeCtx({ clock: c.clock });
    const p = await startProgress(ctx, makeOut(ctx, g), 'start', 10);
    c.t += 100;
    p.update('x');
    p.done('y');
    assert.equal(ctx.err(), '');
  }
});
