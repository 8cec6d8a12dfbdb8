import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, copyFileSync, readFileSync, readdirSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { parseAllDocuments, parse as parseYaml } from 'yaml';
import { runHoly, spawnHoly, ROOT, type FakeOpts } from '../helpers/ctx.js';
import { tempDir } from '../helpers/tmp.js';

const FIX = join(ROOT, 'fixtures', 'env');
const fixtures = readdirSync(FIX).filter((f) => f.endsWith('.env'));
const posix = process.platform !== 'win32';
const OFFICIAL = 'sk-proj-fake-0000';
const RELAY = 'hs-test-0000000000000000';

/** A temp dir holding fixture `name` as .env (mode 0600). */
function workdir(name = 'sample.env', mode = 0o600): string {
  const d = tempDir('holy-migrate-');
  copyFileSync(join(FIX, name), join(d, '.env'));
  chmodSync(join(d, '.env'), mode);
  return d;
}
const read = (d: string, f = '.env') => readFileSync(join(d, f), 'utf8');
const backups = (d: string) => readdirSync(d).filter((f) => f.startsWith('.env.bak.'));
const holy = (d: string, argv: string[], o: FakeOpts = {}) => runHoly(argv, { cwd: d, ...o });

/** No output stream may carry a full key. */
function assertNoKeys(...texts: string[]): void {
  for (const t of texts) {
    assert.ok(!t.includes(RELAY), `relay key leaked: ${t}`);
    assert.ok(!t.includes(OFFICIAL), `official key leaked: ${t}`);
  }
}

describe('holy migrate / rollback', () => {
  test('dry run is the default when stdin is not a terminal: masked diff on stdout, nothing written', async () => {
    const d = workdir();
    const r = await holy(d, ['migrate']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^-OPENAI_BASE_URL=https:\/\/api\.openai\.com\/v1$/m);
    assert.match(r.stdout, /^\+OPENAI_BASE_URL=https:\/\/api\.holysheep\.ai\/v1$/m);
    assert.match(r.stdout, /^-OPENAI_API_KEY=\*+$|^-OPENAI_API_KEY=sk-proj-…/m);
    assert.match(r.stdout, /^\+OPENAI_API_KEY=hs-…0000$/m);
    assert.match(r.stderr, /dry run .*stdin is not a terminal.*--yes/);
    assertNoKeys(r.stdout, r.stderr);
    assert.equal(read(d), read(FIX, 'sample.env'));
    assert.deepEqual(backups(d), []);
  });

  test('--yes applies: backup, mode 0600, snapshot 0600, summary and --json without keys', async () => {
    const d = workdir();
    const r = await holy(d, ['migrate', '--yes', '--json']);
    assert.equal(r.code, 0, r.stderr);
    assertNoKeys(r.stdout, r.stderr);
    const doc = JSON.parse(r.stdout);
    assert.equal(doc.applied, true);
    assert.deepEqual(doc.steps.map((s: { step: string }) => s.step), ['plan', 'backup', 'write']);
    assert.ok(doc.steps.every((s: { ms: number }) => s.ms >= 0) && doc.elapsedMs >= 0);
    assert.equal(doc.backup, backups(d)[0]);
    assert.match(doc.backup, /^\.env\.bak\.\d{8}T\d{6}Z$/);
    assert.equal(read(d, doc.backup), read(FIX, 'sample.env'));
    const after = read(d);
    assert.match(after, /^OPENAI_API_KEY=hs-test-0000000000000000$/m);
    assert.match(after, /^OPENAI_BASE_URL=https:\/\/api\.holysheep\.ai\/v1$/m);
    assert.match(after, /^OPENAI_MODEL=gpt-4\.1-mini {2}# the model the app asks for$/m);
    if (posix) {
      assert.equal(statSync(join(d, '.env')).mode & 0o777, 0o600);
      assert.equal(statSync(join(d, '.env.holy-snapshot.json')).mode & 0o777, 0o600);
    }
    // The snapshot holds the original key (so rollback can restore it) but is never printed.
    assert.match(read(d, '.env.holy-snapshot.json'), /sk-proj-fake-0000/);
  });

  for (const f of fixtures) {
    test(`migrate then rollback restores ${f} byte for byte; a second rollback changes nothing`, async () => {
      const d = workdir(f);
      const m = await holy(d, ['migrate', '--yes']);
      assert.equal(m.code, 0, m.stderr);
      assert.notEqual(read(d), read(FIX, f));
      const again = await holy(d, ['migrate', '--yes']);
      assert.equal(again.code, 0);
      assert.match(again.stdout, /nothing to change/);
      const r = await holy(d, ['rollback', '--yes']);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(read(d), read(FIX, f));
      assert.ok(!existsSync(join(d, '.env.holy-snapshot.json')), 'the used snapshot is removed');
      const n = backups(d).length;
      const r2 = await holy(d, ['rollback', '--yes']);
      assert.equal(r2.code, 0, r2.stderr);
      assert.match(r2.stdout, /nothing to change/);
      assert.equal(read(d), read(FIX, f));
      assert.equal(backups(d).length, n, 'no backup when nothing changes');
      assertNoKeys(m.stdout, m.stderr, r.stdout, r.stderr, r2.stdout, r2.stderr);
    });
  }

  test('on a terminal it asks first: "y" applies, anything else cancels (exit 1) and writes nothing', async () => {
    const d = workdir();
    const no = await holy(d, ['migrate'], { stdinTTY: true, stdin: 'n\n' });
    assert.equal(no.code, 1);
    assert.match(no.stderr, /Write \.env\? \[y\/N\]/);
    assert.match(no.stderr, /cancelled/);
    assert.equal(read(d), read(FIX, 'sample.env'));
    const yes = await holy(d, ['migrate'], { stdinTTY: true, stdin: 'y\n' });
    assert.equal(yes.code, 0, yes.stderr);
    assert.match(read(d), /OPENAI_API_KEY=hs-test/);
    assertNoKeys(no.stderr, yes.stdout, yes.stderr);
  });

  describe('refusals', () => {
    test('a key is not written into a file others can read without --force (which keeps the mode)', { skip: !posix }, async () => {
      const d = workdir('sample.env', 0o644);
      const r = await holy(d, ['migrate', '--yes']);
      assert.equal(r.code, 3);
      assert.match(r.stderr, /refusing to write a key into \.env: its mode is 0644.*\nhint: run chmod 600 \.env/);
      assert.equal(read(d), read(FIX, 'sample.env'));
      assert.deepEqual(backups(d), []);
      const f = await holy(d, ['migrate', '--yes', '--force']);
      assert.equal(f.code, 0, f.stderr);
      assert.equal(statSync(join(d, '.env')).mode & 0o777, 0o644);
    });

    test('an OpenAI key is not pointed at the relay, nor a relay key at api.openai.com, without --force', async () => {
      const d = workdir();
      writeFileSync(join(d, '.env'), read(d).replace(`HOLYSHEEP_API_KEY=${RELAY}`, `HOLYSHEEP_API_KEY=${OFFICIAL}`));
      const r = await holy(d, ['migrate', '--yes']);
      assert.equal(r.code, 3);
      assert.match(r.stderr, /refusing to write the key from \.env HOLYSHEEP_API_KEY: an OpenAI-format key would be sent to api\.holysheep\.ai/);
      assertNoKeys(r.stderr);
      const d2 = workdir();
      const rb = await holy(d2, ['rollback', '--yes', '--key-from-env', 'ORIG'], { env: { ORIG: RELAY } });
      assert.equal(rb.code, 3);
      assert.match(rb.stderr, /a relay key would be sent to api\.openai\.com/);
      assert.equal(read(d2), read(FIX, 'sample.env'));
    });

    test('bad flags and inputs are usage errors naming the flag or file', async () => {
      const d = workdir();
      const cases: Array<[string[], RegExp, FakeOpts?]> = [
        [['migrate', '--apply'], /refusing to write \.env without confirmation: stdin is not a terminal; add --yes/],
        [['migrate', '--apply', '--out', 'x.env', '--yes'], /give one of them/],
        [['migrate', '--apply', '--format', 'k8s', '--yes'], /--format k8s needs --out FILE/],
        [['migrate', '--env-file', 'missing.env'], /env file missing\.env does not exist/],
        [['migrate', '--var', 'LLM_THING'], /--var LLM_THING=key or --var LLM_THING=url/],
        [['migrate', '--to', 'nope'], /--to nope: no such provider/],
        [['migrate', '--format', 'xml'], /Allowed choices are dotenv, sh, k8s, compose/],
        [['rollback', '--key-from-env', 'NOT_SET', '--yes'], /--key-from-env NOT_SET: that variable is not set/],
      ];
      for (const [argv, re, o] of cases) {
        const r = await holy(d, argv, o);
        assert.equal(r.code, 2, `${argv.join(' ')}: ${r.stderr}`);
        assert.match(r.stderr, re);
      }
      assert.equal(read(d), read(FIX, 'sample.env'));
    });

    test('migrate without a key for the target exits 3 and writes nothing', async () => {
      const d = workdir();
      writeFileSync(join(d, '.env'), 'OPENAI_API_KEY=sk-proj-fake-0000\n', { mode: 0o600 });
      const r = await holy(d, ['migrate', '--yes']);
      assert.equal(r.code, 3);
      assert.match(r.stderr, /no key for holysheep: HOLYSHEEP_API_KEY is not set/);
      assert.equal(read(d), 'OPENAI_API_KEY=sk-proj-fake-0000\n');
    });
  });

  describe('rollback without a snapshot', () => {
    const migrated = 'APP=1\nOPENAI_API_KEY=hs-test-0000000000000000\nOPENAI_BASE_URL=https://api.holysheep.ai/v1\n';
    const setup = () => {
      const d = tempDir('holy-rb-');
      writeFileSync(join(d, '.env'), migrated, { mode: 0o600 });
      return d;
    };

    test('--key-from-env VAR supplies the official key', async () => {
      const d = setup();
      const r = await holy(d, ['rollback', '--yes', '--key-from-env', 'ORIGINAL_OPENAI_KEY'], { env: { ORIGINAL_OPENAI_KEY: OFFICIAL } });
      assert.equal(r.code, 0, r.stderr);
      assert.equal(read(d), 'APP=1\nOPENAI_API_KEY=sk-proj-fake-0000\nOPENAI_BASE_URL=https://api.openai.com/v1\n');
      assertNoKeys(r.stdout, r.stderr);
    });

    test('--key-file PATH supplies the official key', async () => {
      const d = setup();
      writeFileSync(join(d, 'openai.key'), OFFICIAL + '\n', { mode: 0o600 });
      const r = await holy(d, ['rollback', '--yes', '--key-file', 'openai.key']);
      assert.equal(r.code, 0, r.stderr);
      assert.match(read(d), /^OPENAI_API_KEY=sk-proj-fake-0000$/m);
    });

    test('with no key anywhere it writes a marked placeholder and exits 3 saying why', async () => {
      const d = setup();
      const r = await holy(d, ['rollback', '--yes']);
      assert.equal(r.code, 3);
      assert.equal(read(d), 'APP=1\nOPENAI_API_KEY=__HOLY_PLACEHOLDER_SET_YOUR_OPENAI_KEY__\nOPENAI_BASE_URL=https://api.openai.com/v1\n');
      assert.match(r.stderr, /no official key found.*placeholder __HOLY_PLACEHOLDER_SET_YOUR_OPENAI_KEY__/);
      assertNoKeys(r.stdout, r.stderr);
    });
  });

  describe('output formats', () => {
    test('k8s: a Secret with stringData for keys and a ConfigMap for URLs, valid YAML, mode 0600', async () => {
      const d = workdir();
      const r = await holy(d, ['migrate', '--format', 'k8s', '--out', 'relay.yaml', '--yes']);
      assert.equal(r.code, 0, r.stderr);
      const docs = parseAllDocuments(read(d, 'relay.yaml')).map((x) => x.toJS());
      assert.equal(docs[0].kind, 'Secret');
      assert.deepEqual(docs[0].stringData, { OPENAI_API_KEY: RELAY });
      assert.equal(docs[1].kind, 'ConfigMap');
      assert.deepEqual(docs[1].data, { OPENAI_BASE_URL: 'https://api.holysheep.ai/v1' });
      if (posix) assert.equal(statSync(join(d, 'relay.yaml')).mode & 0o777, 0o600);
      assert.equal(read(d), read(FIX, 'sample.env'), 'the env file itself is untouched');
      assertNoKeys(r.stdout, r.stderr);
    });

    test('k8s without --out is a masked preview', async () => {
      const d = workdir();
      const r = await holy(d, ['migrate', '--format', 'k8s', '--yes']);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /kind: Secret/);
      assert.match(r.stderr, /needs --out FILE/);
      assertNoKeys(r.stdout, r.stderr);
    });

    test('sh: sourcing the file gives the values', { skip: !posix }, async () => {
      const d = workdir('quotes.env');
      const r = await holy(d, ['migrate', '--format', 'sh', '--out', 'env.sh', '--yes']);
      assert.equal(r.code, 0, r.stderr);
      const got = execFileSync('sh', ['-c', '. ./env.sh; printf %s "$OPENAI_BASE_URL|$OPENAI_API_KEY"'], { cwd: d, encoding: 'utf8' });
      assert.equal(got, `https://api.holysheep.ai/v1|${RELAY}`);
    });

    test('compose: an environment block', async () => {
      const d = workdir();
      const r = await holy(d, ['migrate', '--format', 'compose', '--out', 'env.yaml', '--yes']);
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(parseYaml(read(d, 'env.yaml')).environment, { OPENAI_BASE_URL: 'https://api.holysheep.ai/v1', OPENAI_API_KEY: RELAY });
    });

    test('--out FILE in dotenv format leaves the source alone and snapshots beside the output', async () => {
      const d = workdir('crlf.env');
      const r = await holy(d, ['migrate', '--out', 'next.env', '--yes']);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(read(d), read(FIX, 'crlf.env'));
      assert.match(read(d, 'next.env'), /\r\nOPENAI_API_KEY="hs-test-0000000000000000"\r\n/);
      assert.ok(existsSync(join(d, 'next.env.holy-snapshot.json')));
      const back = await holy(d, ['rollback', '--env-file', 'next.env', '--yes']);
      assert.equal(back.code, 0, back.stderr);
      assert.equal(read(d, 'next.env'), read(FIX, 'crlf.env'));
    });
  });

  test('--var edits custom provider variables too, and rollback restores them', async () => {
    const d = tempDir('holy-var-');
    const text = 'LLM_BASE_URL=https://api.openai.com/v1\nLLM_TOKEN=sk-proj-fake-0000\nHOLYSHEEP_API_KEY=hs-test-0000000000000000\n';
    writeFileSync(join(d, '.env'), text, { mode: 0o600 });
    const m = await holy(d, ['migrate', '--yes', '--var', 'LLM_BASE_URL', '--var', 'LLM_TOKEN=key']);
    assert.equal(m.code, 0, m.stderr);
    assert.match(read(d), /^LLM_BASE_URL=https:\/\/api\.holysheep\.ai\/v1\nLLM_TOKEN=hs-test-0000000000000000\n/);
    const r = await holy(d, ['rollback', '--yes']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(read(d), text);
  });

  test('a --var key whose name does not look secret stays masked when rollback restores it from the snapshot', async () => {
    const d = tempDir('holy-var-');
    // A key of no known shape, so only the variable's role can mask it (built here: no key-like literal tracked).
    const odd = ['Zq8vN3xK', '7pL2mR9t', 'W4yB6cD1'].join('');
    const text = `LLM_URL=https://api.openai.com/v1\nLLM_AUTH=${odd}\nHOLYSHEEP_API_KEY=${RELAY}\n`;
    writeFileSync(join(d, '.env'), text, { mode: 0o600 });
    const m = await holy(d, ['migrate', '--yes', '--json', '--var', 'LLM_URL=url', '--var', 'LLM_AUTH=key']);
    assert.equal(m.code, 0, m.stderr);
    assert.match(read(d), new RegExp(`^LLM_AUTH=${RELAY}$`, 'm'));
    const dry = await holy(d, ['rollback', '--dry-run']);
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(dry.stdout, /^\+LLM_AUTH=/m);
    const r = await holy(d, ['rollback', '--yes', '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(read(d), text);
    for (const t of [m.stdout, m.stderr, dry.stdout, dry.stderr, r.stdout, r.stderr]) assert.ok(!t.includes(odd), `key leaked: ${t}`);
    assertNoKeys(m.stdout, m.stderr, dry.stdout, dry.stderr, r.stdout, r.stderr);
  });

  test('end to end with the real binary: the README tour on fixtures/env/sample.env', async () => {
    const d = workdir();
    const dry = await spawnHoly(['migrate', '--env-file', '.env', '--dry-run'], { cwd: d });
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(dry.stdout, /\+OPENAI_API_KEY=hs-…0000/);
    const m = await spawnHoly(['migrate', '--env-file', '.env', '--yes', '--json'], { cwd: d });
    assert.equal(m.code, 0, m.stderr);
    assert.equal(JSON.parse(m.stdout).applied, true);
    const r = await spawnHoly(['rollback', '--env-file', '.env', '--yes'], { cwd: d, env: { NO_COLOR: '1' } });
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(r.stdout, /\u001b\[/, 'no colour codes when piped');
    assert.equal(read(d), read(FIX, 'sample.env'));
    assertNoKeys(dry.stdout, dry.stderr, m.stdout, m.stderr, r.stdout, r.stderr);
  });
});
