/** Shared test setup for verify and models: mocks on loopback, a config file naming them, and a runner that checks masking. */
import assert from 'node:assert/strict';
import { writeFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { startMock, type MockOptions, type MockServer } from '../../src/mock/server.js';
import { runHoly, type FakeOpts } from '../helpers/ctx.js';
import { tempDir } from '../helpers/tmp.js';

export const OLD_KEY = 'hs-test-0000000000000000';
export const NEW_KEY = 'hs-test-1111111111111111';

/** A temp dir with holy.config.json mapping provider names to base URLs. */
export function tempConfig(providers: Record<string, string | Record<string, unknown>>, extra: Record<string, unknown> = {}): { dir: string; file: string; cleanup(): void } {
  const dir = tempDir('holy-verify-');
  const file = join(dir, 'holy.config.json');
  const p = Object.fromEntries(Object.entries(providers).map(([k, v]) => [k, typeof v === 'string' ? { baseURL: v } : v]));
  writeFileSync(file, JSON.stringify({ providers: p, ...extra }));
  return { dir, file, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * A loopback port that refuses connections. Closing an ephemeral listener and reusing its port races with every
 * other test binding port 0 (the kernel may hand the same port out again), so use a privileged port instead:
 * port-0 binds never get one (they come from the ephemeral range) and no test binds a fixed port. The first
 * candidate that refuses is used (none is on the fetch standard's "bad ports" list, which fetch refuses outright).
 */
export async function closedPort(): Promise<number> {
  for (const port of [4, 6, 8, 14, 16]) {
    const refused = await new Promise<boolean>((done) => {
      const s = connect({ host: '127.0.0.1', port });
      s.once('connect', () => (s.destroy(), done(false)));
      s.once('error', (e: NodeJS.ErrnoException) => done(e.code === 'ECONNREFUSED'));
    });
    if (refused) return port;
  }
  throw new Error('no refusing privileged port on 127.0.0.1; the connection-refused tests need one');
}

export interface World {
  old: MockServer;
  new: MockServer;
  dir: string;
  config: string;
  close(): Promise<void>;
}

/** Two mocks (old = "official", new = "holysheep") and a config pointing the built-in names at them. */
export async function world(o: { old?: MockOptions; new?: MockOptions; newURL?: (m: MockServer) => string } = {}): Promise<World> {
  const old = await startMock({ key: OLD_KEY, label: 'old', ...o.old });
  const nw = await startMock({ key: NEW_KEY, label: 'new', ...o.new });
  const cfg = tempConfig({ official: old.url, holysheep: o.newURL ? o.newURL(nw) : nw.url });
  return {
    old,
    new: nw,
    dir: cfg.dir,
    config: cfg.file,
    close: async () => {
      await Promise.all([old.close(), nw.close()]);
      cfg.cleanup();
    },
  };
}

/** Keys that must never appear in any output. */
const SECRETS = [OLD_KEY, NEW_KEY, 'sk-proj-fake-0000'];

/** Run holy in-process; assert no full key leaks into stdout or stderr, whatever the outcome. */
export async function run(argv: string[], o: FakeOpts & { secrets?: string[] } = {}) {
  const r = await runHoly(argv, { env: { OPENAI_API_KEY: OLD_KEY, HOLYSHEEP_API_KEY: NEW_KEY, ...o.env }, ...(o.cwd ? { cwd: o.cwd } : {}), ...(o.stdoutTTY ? { stdoutTTY: true } : {}), ...(o.stderrTTY ? { stderrTTY: true } : {}) });
  for (const s of [...SECRETS, ...(o.secrets ?? [])]) {
    assert.ok(!r.stdout.includes(s) && !r.stderr.includes(s), `full key ${s.slice(0, 6)}… leaked into output of holy ${argv.join(' ')}`);
  }
  return r;
}

export interface JsonCheck {
  provider: string;
  check: string;
  status: string;
  ms?: number;
  detail: string;
  cause?: string;
  fix?: string;
  data?: Record<string, any>;
}

/** Parse `holy verify --json` and index the checks by "provider/check". */
export function checksOf(stdout: string): { ok: boolean; by: Map<string, JsonCheck>; doc: any } {
  const doc = JSON.parse(stdout);
  return { ok: doc.ok, by: new Map(doc.checks.map((c: JsonCheck) => [`${c.provider}/${c.check}`, c])), doc };
}

export const ESC = /\u001b\[/;
