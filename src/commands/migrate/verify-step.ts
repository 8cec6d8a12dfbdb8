/** --verify: run holy verify against the target with exactly the key that is about to be written. */
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
  verifyProviders(
    ctx: Ctx,
    g: GlobalOpts,
    opts: { providers?: string[]; model?: string; force?: boolean; keys?: Record<string, { raw: string | undefined; source: string }> },
  ): Promise<{ ok: boolean; checks: VerifyCheck[] }>;
}

/**
 * The key goes to verify in memory, never through argv, env or a file: a temp key file would
 * outlive a SIGTERM or kill -9. Imported lazily: verify loads the HTTP stack.
 */
export async function verifyTarget(ctx: Ctx, g: GlobalOpts, spec: string, target: string, key: string | undefined, force: boolean): Promise<{ ok: boolean; failed: VerifyCheck[] }> {
  const mod: VerifyModule = await import('../verify/verify.js');
  const keys = key === undefined ? undefined : { [target]: { raw: key, source: 'the key about to be written' } };
  const report = await mod.verifyProviders(ctx, g, { providers: [spec], force, keys });
  return { ok: report.ok, failed: report.checks.filter((c) => c.status === 'fail') };
}
