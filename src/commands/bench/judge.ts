/** --judge PROVIDER:MODEL: ask a model which answer is better, twice with the order swapped. */
import type { Ctx } from '../../context.js';
import { RuntimeError } from '../../errors.js';
import type { Providers } from '../../adapters/profiles.js';
import { pickProfile, type Profile } from '../../core/profiles.js';
import { makeHttp } from '../../adapters/http.js';
import { sendChat } from '../../adapters/provider/index.js';
import { completionText, type ChatBody } from '../../core/chat.js';
import { judgePair } from '../../core/quality/judge.js';
import type { BenchOptions } from '../../core/bench/options.js';

export interface JudgeTally {
  judge: string;
  old: number;
  new: number;
  tie: number;
  /** Verdicts that flipped when the order was swapped (counted as ties). */
  inconsistent: number;
  failed: number;
}

/** A judge bound to its provider; `judge` never throws (failures are tallied). */
export async function makeJudge(ctx: Ctx, prov: Providers, o: BenchOptions, key: (p: Profile, flag: string) => Promise<string>): Promise<{ judge: (req: ChatBody, a: string, b: string) => Promise<void>; tally: JudgeTally; close(): Promise<void> }> {
  const spec = o.judge!;
  const p = pickProfile(prov, spec.provider, '--judge');
  const k = await key(p, '--judge');
  const http = makeHttp(ctx);
  const tally: JudgeTally = { judge: `${p.name}:${spec.model}`, old: 0, new: 0, tie: 0, inconsistent: 0, failed: 0 };
  const ask = async (prompt: string): Promise<string> => {
    const r = await sendChat({ dispatcher: http.dispatcher, baseURL: p.baseURL.trim(), key: k, headers: p.headers, body: { model: spec.model, messages: [{ role: 'user', content: prompt }], temperature: 0 }, timeoutMs: o.timeoutMs ?? p.timeoutMs, signal: ctx.signal, clock: ctx.clock, now: ctx.now });
    if (!r.ok) throw new RuntimeError(`judge call failed: ${r.errorMessage ?? r.errorClass}`);
    return completionText(r.completion, 'display');
  };
  let closed = false;
  return {
    tally,
    judge: async (req, a, b) => {
      try {
        const v = await judgePair(ask, req, a, b);
        if (!v.consistent) tally.inconsistent++;
        tally[v.winner]++;
      } catch {
        // Cut off by Ctrl-C (the calls listen to it, so a slow judge cannot hold the exit): not a failure.
        if (!ctx.signal.aborted) tally.failed++;
      }
    },
    close: async () => {
      if (closed) return;
      closed = true;
      await http.close();
    },
  };
}
