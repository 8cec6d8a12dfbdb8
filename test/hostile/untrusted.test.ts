/** The untrusted-text policy (core/untrusted.ts), CSV neutralising (core/csv.ts) and file-system refusals (errors.ts). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { depthOf, jsonTextDepth, KEY_PIECE, oneLine, REDACTED, stripControls, Untrusted } from '../../src/core/untrusted.js';
import { csvCell, neutralise } from '../../src/core/csv.js';
import { fsRefusal } from '../../src/errors.js';
import { runHoly, ROOT } from '../helpers/ctx.js';

// A fake key in OpenAI's format, built at run time so no key-shaped literal is tracked.
const KEY = ['sk', 'proj', 'AbCdEfGhIjKlMnOpQrStUvWxYz0123456789'].join('-');
const u = new Untrusted([KEY, 'hs-short12', undefined]);

test('the whole key, its prefix-less body and any 12-character piece are redacted', () => {
  assert.equal(u.redact(`id req_${KEY}!`), `id req_${REDACTED}!`);
  assert.equal(u.redact(`x ${KEY.slice(8)} y`), `x ${REDACTED} y`);
  assert.equal(u.redact(`[${KEY.slice(11, 23)}]`), `[${REDACTED}]`, 'exactly 12 characters');
  assert.equal(u.redact(`${KEY.slice(11, 22)}`), KEY.slice(11, 22), '11 characters alone are not a key');
  assert.equal(u.redact(`${KEY.slice(3, 31)} and ${KEY.slice(20)}`), `${REDACTED} and ${REDACTED}`, '28 of 31 echoed');
  assert.equal(u.redact('a hs-short12 b'), `a ${REDACTED} b`, 'a short key is redacted whole');
  assert.equal(u.redact('nothing here at all'), 'nothing here at all');
});

/** The reference redact(): every 12-character window of the text that is a piece of a key, each covered run replaced once. */
function scanRedact(pieces: Set<string>, t: string): string {
  const cov = new Uint8Array(t.length);
  for (let i = 0; i + KEY_PIECE <= t.length; i++) if (pieces.has(t.slice(i, i + KEY_PIECE))) cov.fill(1, i, i + KEY_PIECE);
  let r = '';
  for (let i = 0; i < t.length; ) {
    if (!cov[i]) r += t[i++];
    else {
      while (i < t.length && cov[i]) i++;
      r += REDACTED;
    }
  }
  return r;
}
function piecesOf(keys: string[]): Set<string> {
  const pieces = new Set<string>();
  for (const v of keys) for (let i = 0; i + KEY_PIECE <= v.length; i++) pieces.add(v.slice(i, i + KEY_PIECE));
  return pieces;
}

test('redact marks exactly what a scan of every 12-character window marks (it searches only around anchors)', () => {
  // A key with no known prefix (one set of anchors, so the search windows are tight).
  const SECRET = 'Qw3rTy8uIoP1aSdFgH2jKlZx7cVbNm4LkJhG';
  const pieces = piecesOf([SECRET]);
  const only = new Untrusted([SECRET]);
  let seed = 7;
  const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
  let redacted = 0;
  for (let round = 0; round < 2000; round++) {
    // Random filler around random slices of the key (some shorter than 12, some overlapping its ends).
    let t = '';
    for (let k = rnd(4); k >= 0; k--) {
      t += 'xyz {}"'.repeat(rnd(3)).slice(0, rnd(9));
      const a = rnd(SECRET.length);
      t += SECRET.slice(a, a + 4 + rnd(30));
    }
    const want = scanRedact(pieces, t);
    assert.equal(only.redact(t), want, JSON.stringify(t));
    if (want !== t) redacted++;
  }
  assert.ok(redacted > 500, `the random texts hold pieces of the key (${redacted} of 2000 redacted)`);
});

test('redact matches the scan with several prefixed keys held at once (their bodies too)', () => {
  let x = 5;
  const rnd = (n: number) => (x = (x * 48271) % 2147483647) % n;
  const alphabet = 'abcdefgh-_0123';
  const keys = Array.from({ length: 4 }, () => 'sk-' + Array.from({ length: 14 + rnd(30) }, () => alphabet[rnd(alphabet.length)]).join(''));
  const u2 = new Untrusted(keys);
  const pieces = piecesOf(keys.flatMap((k) => [k, k.replace(/^sk-/, '')]));
  for (let n = 0; n < 2000; n++) {
    let s = '';
    for (let p = rnd(6); p >= 0; p--) {
      const k = keys[rnd(keys.length)]!;
      const a = rnd(k.length);
      s += rnd(3) ? Array.from({ length: rnd(20) }, () => alphabet[rnd(alphabet.length)]).join('') : k.slice(a, a + KEY_PIECE + rnd(10));
    }
    assert.equal(u2.redact(s), scanRedact(pieces, s), JSON.stringify(s));
  }
});

test('controls: ESC sequences, C1, DEL, bidi overrides are stripped; CR becomes LF; tab and LF stay', () => {
  assert.equal(stripControls('a\u001b]0;title\u0007b\u001b[2J\u001b[Hc'), 'abc');
  assert.equal(stripControls('x\u009b31my\u202ez\u2066w\u007f'), 'xyzw');
  assert.equal(stripControls('l1\r\nl2\rl3\tT'), 'l1\nl2\nl3\tT');
  assert.equal(oneLine('a\nb\tc'), 'a⏎b c');
  assert.equal(u.line(`model ${KEY}\u001b[2J\nnext`), `model ${REDACTED}⏎next`);
});

test('values: every string and key cleaned, nesting capped without recursion limits', () => {
  const deep = JSON.parse('['.repeat(5000) + ']'.repeat(5000)) as unknown;
  assert.equal(depthOf(deep), 65, 'counting stops past the cap');
  assert.equal(jsonTextDepth('{"a":"[[[[","b":[[1]]}'), 3, 'brackets inside strings do not count');
  const v = u.value({ [`k_${KEY}`]: [`t\u001b[2J${KEY}`], deep });
  assert.deepEqual(Object.keys(v), [`k_${REDACTED}`, 'deep']);
  assert.doesNotThrow(() => JSON.stringify(v));
  assert.match(JSON.stringify(v), /too deeply nested/);
  const evil = u.value(JSON.parse('{"__proto__":{"choices":[1]},"id":"x"}') as Record<string, unknown>);
  assert.equal(Object.getPrototypeOf(evil), Object.prototype, 'a __proto__ key does not become the prototype');
  assert.equal((evil as { choices?: unknown }).choices, undefined);
  assert.equal(JSON.stringify(evil), '{"__proto__":{"choices":[1]},"id":"x"}');
});

test('CSV cells that a spreadsheet would run are neutralised; plain numbers are not', () => {
  for (const s of ['=1+1', '+cmd', '-2+3', '@SUM(A1)', '\tx']) assert.equal(neutralise(s), `'${s}`);
  for (const s of ['-3.5', '+4', '1e5', 'gpt-4o', '']) assert.equal(neutralise(s), s);
  assert.equal(csvCell('=HYPERLINK("x")'), `"'=HYPERLINK(""x"")"`);
});

test('EACCES/EROFS escaping a command: one sentence naming the directory and the fix', () => {
  const e = fsRefusal(Object.assign(new Error("EACCES: permission denied, copyfile '/srv/app/.env' -> '/srv/app/.env.bak.1'"), { code: 'EACCES', path: '/srv/app/.env', dest: '/srv/app/.env.bak.1' }))!;
  assert.equal(e.exitCode, 1);
  assert.equal(e.message, 'cannot write in /srv/app: permission denied (EACCES).');
  assert.match(e.hint!, /chmod u\+w \/srv\/app/);
  assert.match(fsRefusal(Object.assign(new Error('x'), { code: 'EROFS', path: '/ro/.env' }))!.message, /\/ro: it is on a read-only file system/);
  assert.equal(fsRefusal(Object.assign(new Error('x'), { code: 'ENOENT', path: '/x' })), undefined);
});

test('migrate in a directory holy cannot write: exit 1 with the directory named (as a non-root user)', { skip: process.platform === 'win32' || process.getuid?.() === 0 }, async () => {
  const d = mkdtempSync(join(tmpdir(), 'holy-ro-'));
  copyFileSync(join(ROOT, 'fixtures', 'env', 'sample.env'), join(d, '.env'));
  chmodSync(join(d, '.env'), 0o600);
  const before = readFileSync(join(d, '.env'), 'utf8');
  chmodSync(d, 0o500);
  try {
    const r = await runHoly(['migrate', '--yes'], { cwd: d });
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, new RegExp(`cannot write in ${d.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: permission denied`));
    assert.doesNotMatch(r.stderr, /unexpected error/);
    assert.equal(readFileSync(join(d, '.env'), 'utf8'), before);
  } finally {
    chmodSync(d, 0o700);
    rmSync(d, { recursive: true, force: true });
  }
});

test('the redactor holds every key of the run: profile keys as read, and secret-shaped *_TOKEN/*_KEY variables', async () => {
  const { loadProviders } = await import('../../src/adapters/profiles.js');
  const { fakeCtx } = await import('../helpers/ctx.js');
  const env = { HOLYSHEEP_API_KEY: '  hs-ProfileKey0123456789abcdef \n', CI_DEPLOY_TOKEN: 'ghp_abcdefghijklmnopqrstuvwxyz0123', CACHE_KEY: 'default', PLAIN_SETTING: 'plainvalue-0123456789' };
  const prov = await loadProviders(fakeCtx({ env }), {});
  await prov.key(prov.providers.get('holysheep')!);
  const u2 = prov.untrusted;
  assert.equal(u2.redact('id hs-ProfileKey0123456789abcdef'), `id ${REDACTED}`);
  assert.equal(u2.redact('tok ghp_abcdefghijklmnopqrstuvwxyz0123'), `tok ${REDACTED}`);
  assert.equal(u2.redact('the default model'), 'the default model', 'a short non-secret value is not a key');
  assert.equal(u2.redact('plainvalue-0123456789'), 'plainvalue-0123456789', 'only secret-named variables count');
});
