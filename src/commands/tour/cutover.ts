/**
 * The tour's cutover step (docs/cutover.md, "The playbook"), live on the simulators: the gateway shadows
 * official's traffic to holysheep, holy bench compares the shadow recording without sending anything,
 * then a canary at 5 % → 25 %, the relay starts failing and the guard rolls the canary back by itself
 * (no client sees an error), the relay is fixed, 25 % again, promote.
 */
import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { Writable } from 'node:stream';
import { join } from 'node:path';
import type { Ctx } from '../../context.js';
import type { Out } from '../../ui/output.js';
import { startMock } from '../../mock/server.js';
import type { RunHoly } from './command.js';

export interface CutoverStepEnv {
  ctx: Ctx;
  env: Record<string, string | undefined>;
  work: string;
  main: RunHoly;
  json: boolean;
  /** The relay's key (the failing stand-in answers to it too). */
  relayKey: string;
}

interface Result {
  step: string;
  argv: string[];
  exitCode: number;
  expected: boolean;
  result?: unknown;
}

const sink = (on: (t: string) => void): Ctx['stdout'] => {
  const w = new Writable({ write(c: Buffer, _e, cb) { on(c.toString('utf8')); cb(); } }) as Writable & { isTTY?: boolean };
  w.isTTY = false;
  return w;
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const GUARD = { maxErrorRate: 0.05, maxP99Ms: 4000, window: '1m', minRequests: 10 };
/**
 * The guard acts by its 10th failed canary answer at the latest (minRequests); with the default breaker
 * (5 failures, 30 s cool-down) a run whose random 25 % drew few healthy canary requests also opened
 * holysheep's breaker, and the promotion below was then served by official for 30 s. The tour shows the
 * guard, so its breaker needs more failures than the guard can take.
 */
const TOUR_BREAKER = { failures: GUARD.minRequests + 1, coolDownMs: 30_000 };

export async function cutoverStep(s: CutoverStepEnv, out: Out): Promise<Result[]> {
  const results: Result[] = [];
  const say = (t: string) => void (!s.json && s.ctx.stdout.write(t + '\n'));
  const cfgPath = join(s.work, 'holy.config.json');
  const original = await readFile(cfgPath, 'utf8');
  const doc = JSON.parse(original) as { providers: Record<string, { baseURL: string }>; gateway: Record<string, unknown> };
  const healthyURL = doc.providers.holysheep!.baseURL;
  const writeRoute = (route: Record<string, unknown>, relayURL = healthyURL) =>
    writeFile(cfgPath, JSON.stringify({ ...doc, providers: { ...doc.providers, holysheep: { baseURL: relayURL } }, gateway: { ...doc.gateway, route: { maxInFlight: 16, breaker: TOUR_BREAKER, ...route } } }, null, 2) + '\n');
  const adminKey = randomBytes(18).toString('hex');
  const env = { ...s.env, HOLY_GATEWAY_ADMIN_KEY: adminKey };
  const base = { ...s.ctx, env, cwd: s.work };
  // The failing relay: the same simulator, answering 503 to every chat request.
  const broken = await startMock({ label: 'holysheep, failing (simulated)', key: s.relayKey, faults: [{ fault: { kind: 'status', status: 503, code: 'overloaded', message: 'relay overloaded' }, path: 'chat' }] });
  let stop: (() => Promise<number>) | undefined;
  try {
    // 1. Shadow: official serves, every request is copied to holysheep and the pair recorded.
    await writeRoute({ primary: 'official', shadow: { provider: 'holysheep', percent: 100, maxInFlight: 8, record: 'shadow.jsonl' } });
    let keyText = '';
    await s.main(['--json', '-q', 'gateway', 'keys', 'add', 'acme'], { ...base, stdout: sink((t) => (keyText += t)) });
    const key = (JSON.parse(keyText || '{}') as { key?: string }).key;
    if (!key) return [{ step: 'cutover', argv: ['gateway', 'keys', 'add', 'acme'], exitCode: 1, expected: false }];
    say('$ HOLY_GATEWAY_ADMIN_KEY=… holy gateway --port 0      # route: official, shadow 100 % → holysheep, pairs in shadow.jsonl');
    const ac = new AbortController();
    let urlText = '';
    let logText = '';
    let hup: (() => void) | undefined;
    const done = s.main(['gateway', '--port', '0'], {
      ...base, signal: ac.signal, stdout: sink((t) => (urlText += t)), stderr: sink((t) => (logText += t)),
      onHangup: (fn) => ((hup = fn), () => (hup = undefined)),
    });
    let exit: number | undefined;
    void done.then((c) => (exit = c));
    stop = async () => {
      ac.abort(new Error('tour: stop the gateway'));
      return done;
    };
    while (!urlText.includes('\n') && exit === undefined) await sleep(10);
    if (exit !== undefined) return [{ step: 'cutover', argv: ['gateway', '--port', '0'], exitCode: exit, expected: false }];
    const url = urlText.split('\n')[0]!;
    const adminURL = url.replace(/\/v1$/, '');
    const status = async () => (await (await fetch(adminURL + '/admin/route', { headers: { authorization: `Bearer ${adminKey}` } })).json()) as Record<string, any>;
    const ask = async (i: number) => {
      const r = await fetch(url + '/chat/completions', { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify({ model: 'gpt-4.1-mini', messages: [{ role: 'user', content: `Cutover question ${i}: how do I rotate an API key?` }], max_tokens: 16 }) });
      await r.arrayBuffer();
      return { status: r.status, provider: r.headers.get('x-holy-provider') };
    };
    const reloads = () => logText.split('"event":"reloaded"').length - 1;
    const reload = async () => {
      const n = reloads();
      hup?.();
      for (let i = 0; i < 500 && reloads() === n; i++) await sleep(10);
    };
    const holy = async (argv: string[], expect = 0) => {
      say(`$ holy ${argv.map((a) => (a === adminURL ? 'http://127.0.0.1:PORT' : /\s/.test(a) ? JSON.stringify(a) : a)).join(' ')}`);
      let text = '';
      const code = await s.main([...argv, ...(s.json ? ['--json'] : [])], { ...base, ...(s.json ? { stdout: sink((t) => (text += t)) } : {}) });
      let result: unknown;
      if (s.json) {
        try {
          result = JSON.parse(text);
        } catch {
          result = text;
        }
      }
      results.push({ step: 'cutover', argv, exitCode: code, expected: code === expect, ...(result !== undefined ? { result } : {}) });
    };

    for (let i = 0; i < 8; i++) await ask(i);
    for (let i = 0; i < 500; i++) {
      const sh = (await status()).shadow as { sent: number; inFlight: number } | undefined;
      if (sh && sh.sent >= 8 && sh.inFlight === 0) break;
      await sleep(10);
    }
    for (let i = 0; i < 500; i++) {
      const lines = (await readFile(join(s.work, 'shadow.jsonl'), 'utf8').catch(() => '')).split('\n').filter(Boolean).length;
      if (lines >= 16) break;
      await sleep(10);
    }
    say('8 requests served by official; each copied to holysheep after the client had its answer');

    // 2. Bench the shadow recording: nothing is sent.
    await holy(['bench', 'shadow.jsonl', '--old', 'recorded', '--new', 'recorded', '--show-worst', '1']);

    // 3. Canary 5 % → 25 % (sticky none here, so a handful of requests shows both sides).
    await writeRoute({ primary: 'official', canary: { provider: 'holysheep', percent: 5, sticky: 'none', guard: GUARD } });
    say('$ kill -HUP <gateway>      # the config now has a canary: holysheep at 5 %, guard: error rate > 5 % or p99 > 4 s over 1 min, ≥ 10 requests');
    await reload();
    await holy(['gateway', 'route', '--url', adminURL, '--percent', '25', '--why', 'the shadow bench was a go']);
    const healthy = new Map<string, number>();
    for (let i = 0; i < 40; i++) {
      const r = await ask(100 + i);
      healthy.set(r.provider ?? '?', (healthy.get(r.provider ?? '?') ?? 0) + 1);
    }
    say(`40 requests at 25 %: ${[...healthy].map(([p, n]) => `${n} served by ${p}`).join(', ')}`);

    // 4. The relay starts failing: the guard rolls the canary back by itself.
    await writeRoute({ primary: 'official', canary: { provider: 'holysheep', percent: 5, sticky: 'none', guard: GUARD } }, broken.url);
    await reload();
    say('holysheep starts failing (its simulator now answers 503 to every chat request)…');
    let sent = 0;
    let clientErrors = 0;
    let st = await status();
    while (st.canary?.state === 'canary' && sent < 300) {
      const r = await ask(1000 + sent++);
      if (r.status !== 200) clientErrors++;
      if (sent % 5 === 0) st = await status();
    }
    st = await status();
    const rolled = st.canary?.state === 'rolled-back';
    const b = st.canary?.breach as { reason?: string; reactionMs?: number; failuresSeen?: number } | undefined;
    say(`${rolled ? out.c.green('✓') : out.c.red('✗')} the guard rolled the canary back after ${b?.failuresSeen ?? '?'} failed holysheep answer${b?.failuresSeen === 1 ? '' : 's'} (${b?.reactionMs?.toFixed(0) ?? '?'} ms after the first); ${sent} requests sent meanwhile, ${clientErrors} reached a client as an error (each failed canary request was served by official)`);
    results.push({ step: 'cutover', argv: ['(relay fails: automatic rollback)'], exitCode: rolled && clientErrors === 0 ? 0 : 3, expected: rolled && clientErrors === 0, result: { rolledBack: rolled, clientErrors, requests: sent, breach: b } });
    await holy(['gateway', 'route', '--url', adminURL]);

    // 5. The relay is fixed: 25 % again, then promote.
    await writeRoute({ primary: 'official', canary: { provider: 'holysheep', percent: 5, sticky: 'none', guard: GUARD } });
    await reload();
    await holy(['gateway', 'route', '--url', adminURL, '--percent', '25', '--why', 'relay fixed']);
    await holy(['gateway', 'route', '--url', adminURL, '--promote', '--why', 'clean at 25 %']);
    // Every replica sees a route change within a second (the canary state is cached ≤ 1 s): ask until then.
    let after = await ask(9999);
    for (let i = 0; i < 30 && !(after.status === 200 && after.provider === 'holysheep'); i++) {
      await new Promise((r) => setTimeout(r, 100));
      after = await ask(9999);
    }
    const promoted = after.status === 200 && after.provider === 'holysheep';
    say(`${promoted ? out.c.green('✓') : out.c.red('✗')} promoted: requests are served by ${after.provider} (a route change reaches every replica within a second)`);
    results.push({ step: 'cutover', argv: ['(promoted: the candidate serves)'], exitCode: promoted ? 0 : 3, expected: promoted });
    const code = await stop();
    stop = undefined;
    results.push({ step: 'cutover', argv: ['gateway', '--port', '0'], exitCode: code, expected: code === 0 });
    say('Not behind the gateway? holy migrate / holy rollback move an app’s env file the same way (step 6).');
    return results;
  } finally {
    await stop?.().catch(() => undefined);
    await broken.close();
    await writeFile(cfgPath, original);
  }
}
