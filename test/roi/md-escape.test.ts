import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runHoly } from '../helpers/ctx.js';

test('roi --md keeps a group name with a line break, a pipe and a backslash inside one table row', async () => {
  const d = mkdtempSync(join(tmpdir(), 'holy-roi-md-'));
  const f = join(d, 'usage.csv');
  writeFileSync(f, 'timestamp,tenant,model,input_tokens,cached_input_tokens,output_tokens,requests\n' + '2026-10-01T00:00:00Z,"acme\nevil | x\\",gpt-4.1,2000000,0,500000,400\n' + '2026-10-02T00:00:00Z,globex,gpt-4.1,1000000,0,100000,10\n');
  const r = await runHoly(['roi', f, '--by', 'tenant', '--md']);
  rmSync(d, { recursive: true, force: true });
  assert.equal(r.code, 0, r.stderr);
  const table = r.stdout.split('\n## ').find((s) => /^By tenant|tenant/i.test(s) && s.includes('globex'));
  assert.ok(table, r.stdout);
  const rows = table.split('\n').filter((l) => l.startsWith('|'));
  // Every row of a markdown table has the same number of unescaped pipes.
  const cells = (l: string) => l.replace(/\\\\/g, '').replace(/\\\|/g, '').split('|').length;
  assert.ok(rows.every((l) => cells(l) === cells(rows[0]!)), rows.join('\n'));
  assert.ok(rows.some((l) => l.startsWith('| acme<br>evil \\| x\\\\ |')), rows.join('\n'));
  assert.ok(!table.split('\n').some((l) => l.startsWith('evil')), 'no row was split by the line break');
});
