/** The small things a new user hits in the first hour (issue 13): each one, with the exact sentence or number it must show. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HOLY_BIN, ROOT, fakeCtx, runHoly } from '../helpers/ctx.js';
import { startMock } from '../../src/mock/server.js';
import { main } from '../../src/cli.js';
import { priceText } from '../../src/core/price-text.js';
import { closest } from '../../src/core/suggest.js';

const USAGE = (n: string) => join(ROOT, 'fixtures', 'usage', n);
const HINT = 'hint: add --help to see the usage and examples.\n';

async function tmp(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'holy-first-hour-'));
}

describe('roi inputs', () => {
  test('"-" twice is a usage error (exit 2) naming the fix, not Node\'s silent exit 13', async () => {
    const ledger = await readFile(USAGE('ledger.csv'), 'utf8');
    const r = await runHoly(['roi', '-', '-'], { stdin: ledger });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^holy: "-" \(stdin\) is given more than once; stdin can be read only once, so pass "-" once\.\n$/);
  });

  test('the same file twice, by path or by content, is read once and says so', async () => {
    const dir = await tmp();
    try {
      const copy = join(dir, 'copy.csv');
      await copyFile(USAGE('openai-activity.csv'), copy);
      const once = await runHoly(['roi', USAGE('openai-activity.csv'), '--json']);
      for (const argv of [[USAGE('openai-activity.csv'), USAGE('openai-activity.csv')], [USAGE('openai-activity.csv'), copy]]) {
        const r = await runHoly(['roi', ...argv, '--json']);
        assert.equal(r.code, 0, r.stderr);
        assert.deepEqual(JSON.parse(r.stdout).totals, JSON.parse(once.stdout).totals, 'figures are not doubled');
        assert.match(r.stderr, /warning: .*(is the same file as|has the same content as) .*openai-activity\.csv.*; it is read once/);
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('"the columns found" is capped, and JSON or binary input is called what it is', async () => {
    const dir = await tmp();
    try {
      const wide = join(dir, 'wide.csv');
      await writeFile(wide, Array.from({ length: 3000 }, (_, i) => `col${i}`).join(',') + '\n1\n');
      const w = await runHoly(['roi', wide]);
      assert.equal(w.code, 2);
      assert.match(w.stderr, /the columns found are: col0, col1, .*col19, … \(3,000 columns in all\)\./);
      assert.ok(w.stderr.length < 1000, `stderr is ${w.stderr.length} characters`);
      const json = join(dir, 'usage.json');
      await writeFile(json, '{"model":"gpt-4o","input":1,"output":2}\n');
      const j = await runHoly(['roi', json]);
      assert.equal(j.code, 2);
      assert.match(j.stderr, /usage\.json: this looks like JSON \(or JSON Lines\), not CSV/);
      const bin = join(dir, 'usage.bin');
      await writeFile(bin, Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0, 1, 2, 3, 0x2c, 0xff, 0xfe, 10, 0, 0]));
      const b = await runHoly(['roi', bin]);
      assert.equal(b.code, 2);
      assert.match(b.stderr, /usage\.bin: this looks like a binary file, not CSV\.\n/);
      assert.doesNotMatch(b.stderr, /[\u0000-\u0008]/, 'no raw bytes reach the terminal');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('help, suggestions and one message style', () => {
  test('bare holy and holy help print help on stdout, exit 0; an unknown topic is exit 2 with a suggestion', async () => {
    for (const argv of [[], ['help'], ['--json'], ['-q', '--no-color']]) {
      const r = await runHoly(argv);
      assert.equal(r.code, 0);
      assert.match(r.stdout, /^Usage: holy /);
      assert.equal(r.stderr, '');
    }
    const sub = await runHoly(['help', 'models', 'check']);
    assert.equal(sub.code, 0);
    assert.match(sub.stdout, /^Usage: holy models check /);
    assert.match(sub.stdout, /Examples:/, 'the help text after the options (examples) is shown too');
    const bad = await runHoly(['help', 'modls']);
    assert.equal(bad.code, 2);
    assert.equal(bad.stdout, '');
    assert.match(bad.stderr, /^holy: holy has no help topic 'modls'; did you mean 'models'\? \(topics: verify, models, bench, traffic, roi, migrate, rollback, mock, gateway, tour\)\.\nhint: holy help models /);
    assert.equal((await runHoly(['help', 'nosuch'])).code, 2);
  });

  test('models chek: "did you mean check", not "too many arguments"', async () => {
    const r = await runHoly(['models', 'chek', 'gpt-4o']);
    assert.equal(r.code, 2);
    assert.equal(r.stderr, "holy: 'models' has no subcommand 'chek'; did you mean 'check'? (its subcommands: check).\n" + HINT);
  });

  test('--provider openai suggests official and says why', async () => {
    const r = await runHoly(['verify', '--provider', 'openai']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^holy: --provider openai: no such provider; known: official, holysheep\. Did you mean official\?\nhint: holy calls OpenAI's own API "official"/);
    assert.equal(closest('holysheap', ['official', 'holysheep']), 'holysheep');
    assert.equal(closest('zzz', ['official', 'holysheep']), null);
  });

  test('commander\'s errors come out as holy: … + hint, never "error:" over several lines', async () => {
    for (const argv of [['verify', '--modle', 'x'], ['verfy'], ['bench'], ['roi', '--top']]) {
      const r = await runHoly(argv);
      assert.equal(r.code, 2, argv.join(' '));
      assert.match(r.stderr, /^holy: [^\n]+\n/, argv.join(' '));
      assert.ok(r.stderr.endsWith(HINT), argv.join(' '));
      assert.doesNotMatch(r.stderr, /^error:|^warning:|\(Did you mean/m);
    }
  });

  test('--version --json prints a JSON document', async () => {
    const r = await runHoly(['--version', '--json']);
    assert.equal(r.code, 0);
    assert.deepEqual(JSON.parse(r.stdout), { name: 'holy', version: (JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version });
  });

  test('bench --p99 traffic.jsonl: the file swallowed as the flag\'s value is named', async () => {
    const r = await runHoly(['bench', '--p99', 'traffic.jsonl']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^holy: missing required argument 'traffic': --p99 took traffic\.jsonl as its value; put the file before the flag/);
    // A flag whose value is required (--out FILE) is not second-guessed.
    const out = await runHoly(['bench', '--out', 'r.jsonl']);
    assert.equal(out.stderr, "holy: missing required argument 'traffic'\n" + HINT);
  });
});

describe('keys', () => {
  test('--key-file for a provider nobody named is a usage error; one given as NAME=URL is fine', async () => {
    const r = await runHoly(['verify', '--key-file', 'nosuch=key.txt']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^holy: --key-file nosuch=key\.txt: there is no provider named nosuch \(known: official, holysheep\)\n/);
    const typo = await runHoly(['verify', '--key-file', 'holysheap=key.txt']);
    assert.match(typo.stderr, /did you mean holysheep\?/);
  });

  test('a stdin key loses exactly one trailing newline; other whitespace is still named', async () => {
    const mock = await startMock({});
    try {
      const hygiene = async (stdin: string) => {
        const r = await runHoly(['verify', '--provider', `m=${mock.url}`, '--key-file', 'm=-', '--json'], { stdin });
        const key = (JSON.parse(r.stdout) as { checks: Array<{ check: string; status: string; data: { hygiene: unknown[] } }> }).checks.find((c) => c.check === 'key')!;
        return { status: key.status, issues: key.data.hygiene.length };
      };
      assert.deepEqual(await hygiene('any-test-key-123\n'), { status: 'pass', issues: 0 });
      assert.deepEqual(await hygiene('any-test-key-123\r\n'), { status: 'pass', issues: 0 });
      const two = await hygiene('any-test-key-123\n\n');
      assert.notEqual(two.issues, 0, 'a second newline is still a hygiene issue');
    } finally {
      await mock.close();
    }
  });

  test('mock --key-file mock=- reads the key from stdin (not a file named "-") and requires it', async () => {
    const ctx = fakeCtx({ stdin: 'mock-key-from-stdin\n' });
    const done = main(['mock', '--key-file', 'mock=-'], ctx);
    while (!ctx.out().includes('\n')) await new Promise((r) => setTimeout(r, 20));
    const url = ctx.out().trim();
    const models = (key: string) => fetch(`${url}/models`, { headers: { authorization: `Bearer ${key}` } }).then((r) => r.status);
    assert.equal(await models('mock-key-from-stdin'), 200, 'the key, less its newline');
    assert.equal(await models('another-key'), 401);
    ctx.abort();
    assert.equal(await done, 0);
    assert.match(ctx.err(), /auth {5}Bearer key required \(stdin, moc…tdin\)/, 'masked, never whole');
    const empty = await runHoly(['mock', '--key-file', 'mock=-'], { stdin: '' });
    assert.equal(empty.code, 2);
    assert.match(empty.stderr, /--key-file mock=-: stdin was empty/);
  });
});

describe('roi figures', () => {
  test('a span just short of whole days is named, with the --days that fixes it', async () => {
    const dir = await tmp();
    try {
      const f = join(dir, 'month.csv');
      const rows = ['timestamp,tenant,model,input_tokens,cached_input_tokens,output_tokens,requests'];
      // 30 days of per-request rows: first at 00:03 on day 1, last at 23:03 on day 30 → 29.958 days.
      for (let d = 0; d < 30; d++) rows.push(`${new Date(Date.UTC(2026, 9, 1 + d, d === 29 ? 23 : 0, 3)).toISOString()},acme,gpt-4o,1000,0,200,1`);
      await writeFile(f, rows.join('\n') + '\n');
      const r = await runHoly(['roi', f]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stderr, /warning: the period used is the data's span, 2026-10-01T00:03:00Z → 2026-10-30T23:03:00Z = 29\.96 days, not 30: if the files cover 30 whole days, pass --days 30 \(monthly and yearly figures are then 0\.1% lower\)\./);
      const whole = await runHoly(['roi', f, '--days', '30']);
      assert.doesNotMatch(whole.stderr, /the period used is/);
      const exact = await runHoly(['roi', USAGE('openai-activity.csv')]);
      assert.doesNotMatch(exact.stderr, /the period used is/, 'whole days say nothing');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('rounded figures add up on screen: ¥43.76 − ¥6.00 = ¥37.76', async () => {
    const r = await runHoly(['roi', USAGE('openai-activity.csv')]);
    assert.match(r.stdout, /official cost \(period\)\t¥43\.76\n/);
    assert.match(r.stdout, /relay cost \(period\)\t¥6\.00\n/);
    assert.match(r.stdout, /savings \(period\)\t¥37\.76 /);
    // Every money row of every table: old − new = savings, to the cent.
    let rows = 0;
    for (const line of r.stdout.split('\n')) {
      const m = /\t¥([\d,.]+)\t¥([\d,.]+)\t¥([\d,.]+)\t[\d.]+%$/.exec(line);
      if (!m) continue;
      rows++;
      const [a, b, c] = [m[1], m[2], m[3]].map((s) => Math.round(Number(s!.replace(/,/g, '')) * 100));
      assert.equal(a! - b!, c, line);
    }
    assert.ok(rows >= 4, `${rows} table rows checked`);
  });

  test('--currency usd is USD; --fx-range says what is wrong with it', async () => {
    const r = await runHoly(['roi', USAGE('openai-activity.csv'), '--currency', 'usd', '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).currency, 'USD');
    const bad = await runHoly(['roi', USAGE('openai-activity.csv'), '--currency', 'eur']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--currency takes USD or CNY \(any case\), not "eur"/);
    const many = await runHoly(['roi', '--monthly-spend', '10', '--spend-currency', 'usd', '--fx-range', '1:10000:0.001']);
    assert.equal(many.code, 2);
    assert.match(many.stderr, /--fx-range "1:10000:0\.001" has 9999001 values; at most 51 fit a table: use a bigger STEP/);
    assert.match((await runHoly(['roi', '--monthly-spend', '10', '--spend-currency', 'USD', '--fx-range', '7:6:0.1'])).stderr, /TO \(6\) is below FROM \(7\)/);
    assert.match((await runHoly(['roi', '--monthly-spend', '10', '--spend-currency', 'USD', '--fx-range', '6:7:0'])).stderr, /the STEP is 0/);
  });

  test('prices print with at least two decimals', () => {
    assert.deepEqual(['2.5', '1.25', '10', '0.075', '9'].map(priceText), ['2.50', '1.25', '10.00', '0.075', '9.00']);
  });
});

describe('tour and mock', () => {
  test("tour --only '' names no step: a usage error, not every step", async () => {
    const r = await runHoly(['tour', '--only', '']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^holy: --only "" names no step; choose from verify, models, bench, traffic, roi, migrate/);
    assert.equal(r.stdout, '');
  });

  test('holy mock on SIGTERM closes and prints its "stopped" line', async () => {
    const child = spawn(process.execPath, ['--', HOLY_BIN, 'mock'], { stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: process.env.PATH } });
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c));
    await new Promise<void>((res) => child.stdout.on('data', (c: Buffer) => ((stdout += c), stdout.includes('\n') && res())));
    assert.match(stdout, /^http:\/\/127\.0\.0\.1:\d+\/v1\n$/);
    const exit = new Promise<number | null>((res) => child.on('close', (code) => res(code)));
    child.kill('SIGTERM');
    const code = await exit;
    assert.match(stderr, /holy mock: stopped after 0 requests\.\n/);
    assert.equal(code, 0, 'SIGTERM is a normal stop for a server, like Ctrl-C');
  });
});
