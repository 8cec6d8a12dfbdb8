/** roi against hostile files: overlong lines, shifted rows, twice-named columns, absurd numbers, formula and escape cells. */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, createWriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runHoly } from '../helpers/ctx.js';

const dir = mkdtempSync(join(tmpdir(), 'holy-roi-hostile-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const HEAD = 'id,tenant_id,model,input_tokens,output_tokens,timestamp,request_id';
function file(name: string, lines: string[]): string {
  const p = join(dir, name);
  writeFileSync(p, lines.join('\n') + '\n');
  return p;
}
async function fails(p: string, extra: string[] = []): Promise<string> {
  const r = await runHoly(['roi', p, ...extra]);
  assert.equal(r.code, 2, `exit ${r.code}: ${r.stderr}`);
  return r.stderr;
}

describe('roi: hostile usage files', () => {
  test('a row longer than the header is a file:line error, not silently truncated', async () => {
    const p = file('long-row.csv', [HEAD, '1,acme,gpt-4.1,1000,100,2026-10-01 08:00:00,req-1', '2,acme,gpt-4.1,1000,100,2026-10-01 09:00:00,req-2,surprise']);
    assert.match(await fails(p), /long-row\.csv:3: has 8 fields but the header has 7/);
  });

  test('a column holy reads named twice in the header is a file:line error', async () => {
    const p = file('dup.csv', [HEAD + ',Input_Tokens', '1,acme,gpt-4.1,1000,100,2026-10-01 08:00:00,req-1,5']);
    assert.match(await fails(p), /dup\.csv:1: the header names column "input_tokens" twice \(columns 4 and 8\)/);
  });

  test('a 17-digit timestamp is "out of range" with file:line (not "Invalid time value")', async () => {
    const p = file('time.csv', [HEAD, '1,acme,gpt-4.1,1000,100,1759305600,req-1', '2,acme,gpt-4.1,1000,100,99999999999999999,req-2']);
    const err = await fails(p, ['--by', 'day']);
    assert.match(err, /time\.csv:3: column "timestamp" is "99999999999999999", out of range for a timestamp/);
    assert.doesNotMatch(err, /Invalid time value/);
  });

  test('a token count beyond 2^53 says "out of range", not "not a whole number"', async () => {
    const p = file('big.csv', [HEAD, '1,acme,gpt-4.1,123456789012345678901234,100,2026-10-01 08:00:00,req-1']);
    const err = await fails(p);
    assert.match(err, /big\.csv:2: column "input_tokens" is "123456789012345678901234", out of range/);
  });

  test('a line over 1 MB stops at once with file:line', async () => {
    const p = join(dir, 'one-line.csv');
    const ws = createWriteStream(p);
    ws.write(HEAD + '\n1,acme,gpt-4.1,1000,100,2026-10-01 08:00:00,req-1\n');
    for (let i = 0; i < 40; i++) ws.write('x'.repeat(65536));
    await new Promise<void>((r) => ws.end(r));
    const err = await fails(p);
    assert.match(err, /one-line\.csv:3: the line is longer than 1 MB/);
  });

  test('tenant and model names lose escape sequences; roi --csv neutralises formula cells', async () => {
    const p = file('evil.csv', [HEAD, '1,"=HYPERLINK(""http://x"")",gpt-4.1,1000,100,2026-10-01 08:00:00,req-1', '2,\u001b]0;pwned\u0007\u001b[2Jacme\u202e,gpt-4.1,1000,100,2026-10-01 09:00:00,req-2']);
    const table = await runHoly(['roi', p, '--by', 'tenant']);
    assert.equal(table.code, 0, table.stderr);
    // eslint-disable-next-line no-control-regex
    assert.doesNotMatch(table.stdout + table.stderr, /[\u001b\u0007\u202e]/);
    assert.match(table.stdout, /acme/);
    const csv = await runHoly(['roi', p, '--by', 'tenant', '--csv']);
    assert.equal(csv.code, 0, csv.stderr);
    assert.match(csv.stdout, /^"'=HYPERLINK\(""http:\/\/x""\)",/m, 'the formula is shown as text');
    assert.doesNotMatch(csv.stdout, /^"?[=+@]/m);
  });
});
