/** Shared set-up for bench command tests: two mocks, a temp folder with traffic, and an in-process runner. */
import { writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fakeCtx } from '../helpers/ctx.js';
import { main } from '../../src/cli.js';
import { startMock, type MockOptions, type MockServer } from '../../src/mock/server.js';
import { tempDir } from '../helpers/tmp.js';

export const OLD_KEY = 'hs-oldtestkey0001';
export const NEW_KEY = 'hs-newtestkey0002';

export interface Pair {
  old: MockServer;
  neu: MockServer;
  dir: string;
  args: string[];
  env: Record<string, string>;
  close(): Promise<void>;
}

/** Two mocks (keys required) and ad-hoc --old/--new flags pointing at them. */
export async function mocks(oldOpts: MockOptions = {}, newOpts: MockOptions = {}): Promise<Pair> {
  const old = await startMock({ key: OLD_KEY, label: 'old', ...oldOpts });
  const neu = await startMock({ key: NEW_KEY, label: 'new', ...newOpts });
  const dir = tempDir('holy-bench-');
  return {
    old,
    neu,
    dir,
    args: ['--old', `oldp=${old.url}`, '--new', `newp=${neu.url}`],
    env: { OLDP_API_KEY: OLD_KEY, NEWP_API_KEY: NEW_KEY },
    async close() {
      await old.close();
      await neu.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Write a chat-request JSONL of `n` distinct requests and return its path. */
export function traffic(dir: string, n: number, extra: Record<string, unknown> = {}, name = 'traffic.jsonl'): string {
  const lines: string[] = [];
  for (let i = 0; i < n; i++) lines.push(JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: `Question number ${i}: how do I rotate an API key?` }], max_tokens: 12, ...extra }));
  const file = join(dir, name);
  writeFileSync(file, lines.join('\n') + '\n');
  return file;
}

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Run `holy bench …` in-process; abortAfterMs simulates Ctrl-C. */
export async function bench(argv: string[], env: Record<string, string>, o: { cwd?: string; abortAfterMs?: number; abortWhen?: () => boolean; clock?: () => number } = {}): Promise<Run> {
  const ctx = fakeCtx({ env, ...(o.cwd ? { cwd: o.cwd } : {}), ...(o.clock ? { clock: o.clock } : {}) });
  const t = o.abortAfterMs !== undefined ? setTimeout(() => ctx.abort(), o.abortAfterMs) : undefined;
  const poll = o.abortWhen ? setInterval(() => o.abortWhen!() && ctx.abort(), 10) : undefined;
  const code = await main(['bench', ...argv], ctx);
  clearTimeout(t);
  clearInterval(poll);
  await new Promise((r) => setImmediate(r));
  return { code, stdout: ctx.out(), stderr: ctx.err() };
}

export function chatRequests(m: MockServer): number {
  return m.requests.filter((r) => r.path.endsWith('/chat/completions')).length;
}

/** ms between the first and the last chat request the mock received, on the mock's own clock. */
export function arrivalSpan(m: MockServer): number {
  const at = m.requests.filter((r) => r.path.endsWith('/chat/completions')).map((r) => r.at);
  return Math.max(...at) - Math.min(...at);
}
