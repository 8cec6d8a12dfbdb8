/** --verify: run holy verify against the target with exactly the key that is about to be written. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Ctx } from '../../context.js';
import type { GlobalOpts } from '../../ui/output.js';

export interface VerifyCheck {
  provider: string;
  check: string;
  status: 'pass' | 'fail' | 'warn' | 'skip';
  detail: string;
  cause?: string;
  fix?: string;
}
interface VerifyModule {
  verifyProviders(ctx: Ctx, g: GlobalOpts, opts: { providers?: string[]; model?: string; force?: boolean }): Promise<{ ok: boolean; checks: VerifyCheck[] }>;
}

/**
 * The key goes to verify through a 0600 temp key file (--key-file NAME=PATH), never argv or env,
 * so verify reads it like any user-supplied key. Imported lazily: verify loads the HTTP stack.
 */
export async function verifyTarget(ctx: Ctx, g: GlobalOpts, spec: string, target: string, key: string | undefined, force: boolean): Promise<{ ok: boolean; failed: VerifyCheck[] }> {
  const mod: VerifyModule = await import('../verify/verify.js');
  let dir: string | undefined;
  try {
    const g2: GlobalOpts = { ...g };
    if (key !== undefined) {
      dir = await mkdtemp(join(tmpdir(), 'holy-verify-'));
      const file = join(dir, 'key');
      await writeFile(file, key + '\n', { mode: 0o600 });
      g2.keyFile = [...(g.keyFile ?? []), `${target}=${file}`];
    }
    const report = await mod.verifyProviders(ctx, g2, { providers: [spec], force });
    return { ok: report.ok, failed: report.checks.filter((c) => c.status === 'fail') };
  } finally {
    if (dir) await rm(dir, { recursive: true, force: true });
  }
}
