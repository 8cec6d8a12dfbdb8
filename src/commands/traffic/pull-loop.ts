/** The pull's page loop: list a page, fetch each completion's messages (a few at a time), append the rebuilt lines in list order. */
import type { Ctx } from '../../context.js';
import { RuntimeError, UsageError } from '../../errors.js';
import { asPage, getJson, StoredApiError, type StoredApiOptions } from '../../adapters/provider/index.js';
import { AppendLines, type PullState } from '../../adapters/traffic/pull-file.js';
import type { PullQuery } from '../../core/traffic/meta.js';
import { inWindow, REBUILT, rebuildRequest, storedResponse, type StoredCompletion, type StoredMessage } from '../../core/traffic/stored.js';
import { recordedLine } from '../../core/traffic/line.js';
import type { PullOptions } from './pull-options.js';

/** What the loop has done so far; the caller reads it whether the loop finished or threw. */
export interface PullLoop {
  /** Opened once the provider has answered with a list: a relay's 404 leaves nothing behind. */
  file?: AppendLines;
  ids: Set<string>;
  inFile: number;
  pulled: number;
  skipped: Record<string, number>;
  stoppedBy: 'end' | 'limit' | 'since';
}

const ID = /^[A-Za-z0-9_.:-]{1,200}$/;

export async function pullPages(
  ctx: Ctx,
  api: StoredApiOptions,
  o: PullOptions,
  s: PullLoop,
  env: { name: string; path: string; query: PullQuery; state?: PullState; limit: number; refuse(e: StoredApiError): never; onPage(): void },
): Promise<void> {
  const skip = (why: string) => void (s.skipped[why] = (s.skipped[why] ?? 0) + 1);
  let after = env.state?.lastId;
  let first = true;
  for (;;) {
    const q: Array<[string, string]> = [['limit', String(o.pageSize)], ['order', 'desc']];
    if (o.model) q.push(['model', o.model]);
    for (const [k, v] of Object.entries(o.metadata)) q.push([`metadata[${k}]`, v]);
    if (after) q.push(['after', after]);
    let doc: unknown;
    try {
      doc = await getJson(api, '/chat/completions', q);
    } catch (e) {
      if (first && e instanceof StoredApiError && e.status !== 0 && !ctx.signal.aborted) env.refuse(e);
      throw e;
    }
    const page = asPage<StoredCompletion>(doc);
    if (!page) {
      if (first) throw new UsageError(`${env.name} (${api.baseURL}) answered GET /chat/completions, but not with a list of stored completions; relays do not keep your completions, so pull from --provider official.`);
      throw new RuntimeError(`${env.name} answered a page of stored completions that is not a list; the ${s.inFile} completions pulled so far are in ${o.out}: run the same command again to resume.`);
    }
    if (first) {
      s.file = await AppendLines.open(env.path, o.out, env.state ? 'append' : o.restart ? 'replace' : 'new');
      if (!env.state) await s.file.meta({ kind: 'traffic-pull', version: 1, query: env.query, order: 'desc', startedAt: new Date(ctx.now()).toISOString(), rebuilt: { ...REBUILT } });
      first = false;
    }
    const listed = page.data.filter((c) => c && typeof c === 'object');
    // Near --limit, only as many completions as could still be written have their messages fetched.
    const batch = listed.slice(0, Math.min(listed.length, env.limit - s.inFile));
    const rows = await pool(batch, 4, (c) => one(api, c, s.ids, o, skip));
    for (const [i, r] of rows.entries()) {
      if (r === 'since') {
        s.stoppedBy = 'since';
        return end(ctx, s);
      }
      if (r === undefined) continue;
      const meta = batch[i]!.metadata;
      await s.file!.write(JSON.stringify(recordedLine({ ...r, provider: env.name, file: o.out, line: s.inFile + 2, pair: s.inFile }, meta && typeof meta === 'object' ? { metadata: meta } : {})));
      s.ids.add(r.id);
      s.inFile++;
      s.pulled++;
      // A pull stopped by --limit is not finished: the same command with a higher --limit continues it.
      if (s.inFile >= env.limit) return void (s.stoppedBy = 'limit');
    }
    env.onPage();
    const cut = batch.length < listed.length;
    const tail = batch[batch.length - 1]?.id;
    const last = cut ? tail : (page.lastId ?? tail);
    if ((!page.hasMore && !cut) || typeof last !== 'string' || ctx.signal.aborted) return end(ctx, s);
    after = last;
  }
}

/** The end line: only for a pull that reached the end of the list or --since (not Ctrl-C, not --limit). */
async function end(ctx: Ctx, s: PullLoop): Promise<void> {
  if (!ctx.signal.aborted) await s.file!.meta({ kind: 'traffic-pull-end', pulled: s.inFile, skipped: s.skipped, finishedAt: new Date(ctx.now()).toISOString() });
}

type Row = { id: string; at: number; request: Record<string, unknown> & { model: string }; response: { status: number; body: unknown } };

/** One listed completion → the row to write, undefined when skipped (and counted), or 'since' at the window's end. */
async function one(api: StoredApiOptions, c: StoredCompletion, ids: Set<string>, o: PullOptions, skip: (why: string) => void): Promise<Row | 'since' | undefined> {
  if (typeof c.id !== 'string' || !ID.test(c.id)) return void skip('malformed id');
  const w = inWindow(typeof c.created === 'number' ? c.created : undefined, o.since?.ms, o.until?.ms);
  if (w === 'before') return 'since';
  if (w === 'after') return void skip('created after --until');
  if (ids.has(c.id)) return void skip('already in the file');
  const messages: StoredMessage[] = [];
  let after: string | undefined;
  for (;;) {
    let doc: unknown;
    try {
      doc = await getJson(api, `/chat/completions/${encodeURIComponent(c.id)}/messages`, [['limit', '100'], ['order', 'asc'], ...(after ? [['after', after] as [string, string]] : [])]);
    } catch (e) {
      if (e instanceof StoredApiError && e.status === 404) return void skip('messages not found (deleted?)');
      throw e;
    }
    const page = asPage<StoredMessage>(doc);
    if (!page) return void skip('messages list malformed');
    messages.push(...page.data);
    const last = page.lastId ?? (page.data[page.data.length - 1] as { id?: string } | undefined)?.id;
    if (!page.hasMore || !last || last === after) break;
    after = last;
  }
  const r = rebuildRequest(c, messages);
  if ('problem' in r) return void skip(r.problem);
  return { id: c.id, at: (typeof c.created === 'number' ? c.created : 0) * 1000, request: r.ok, response: { status: 200, body: storedResponse(c) } };
}

/** Map with at most `n` in flight, results in input order; a rejection stops the rest. */
async function pool<T, R>(xs: T[], n: number, f: (x: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(xs.length);
  let next = 0;
  const worker = async () => {
    while (next < xs.length) {
      const i = next++;
      out[i] = await f(xs[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(n, xs.length) }, worker));
  return out;
}
