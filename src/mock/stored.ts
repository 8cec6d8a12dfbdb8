/**
 * Stored chat completions for the simulator (`holy mock --stored N`): a seeded population of completions as
 * GET /v1/chat/completions lists them (newest first by default) and GET /v1/chat/completions/{id}/messages.
 * Each answer is the one the simulator gives that prompt at the same seed, so `bench --old recorded` against
 * the same simulator is an A/A comparison.
 */
import { completionBody, planCompletion } from './completion.js';
import { mix, rng } from './rng.js';

export interface StoredItem {
  completion: Record<string, unknown> & { id: string; created: number; model: string; metadata: Record<string, string> };
  messages: Array<Record<string, unknown> & { id: string }>;
}

const APPS = ['support', 'search', 'assistant'];
const TOPICS = ['refund policy', 'shipping time', 'password reset', 'invoice copy', 'API limits', 'model choice', 'latency budget', 'data export'];

/** n stored completions, newest first, `created` one minute apart ending at endS (epoch seconds); seeded. */
export function storedPopulation(n: number, seed: number, models: readonly string[], endS: number): StoredItem[] {
  const r = rng(mix(seed, 0x5707ed));
  const out: StoredItem[] = [];
  for (let i = 0; i < n; i++) {
    // Most traffic on the first model, a long tail on the others; a few long prompts.
    const model = models[r() < 0.6 ? 0 : 1 + Math.floor(r() * Math.max(1, models.length - 1))] ?? models[0]!;
    const topic = TOPICS[Math.floor(r() * TOPICS.length)]!;
    const long = r() < 0.15 ? ' Context: ' + `Earlier conversation about ${topic}. `.repeat(60 + Math.floor(r() * 200)) : '';
    const user = `Question ${i + 1}: what should I know about ${topic}?${long}`;
    const id = `chatcmpl-stored${(seed >>> 0).toString(36)}x${i.toString(36).padStart(6, '0')}`;
    const created = endS - i * 60;
    const msgs = [{ role: 'system', content: 'You are a helpful assistant.' }, { role: 'user', content: user }];
    const plan = planCompletion({ model, messages: msgs }, { seed, variant: 0, usageScale: 1 }, undefined);
    const completion = JSON.parse(completionBody(plan, id, created, model)) as StoredItem['completion'];
    Object.assign(completion, { metadata: { app: APPS[i % APPS.length]! }, temperature: 1, top_p: 1, presence_penalty: 0, frequency_penalty: 0, seed: null, tools: null, tool_choice: null, response_format: null, input_user: null, request_id: `req_stored${i}` });
    out.push({ completion, messages: msgs.map((m, j) => ({ id: `${id}-${j}`, ...m, name: null, content_parts: null })) });
  }
  return out;
}

/** A list page over `items` (oldest first) with the API's filters, order and cursor. */
export function listPage<T extends { id: string }>(items: readonly T[], q: URLSearchParams, filter: (x: T) => boolean = () => true, defaultOrder: 'asc' | 'desc' = 'asc'): { status: number; body: unknown } {
  const limit = Math.min(100, Math.max(1, Number(q.get('limit') ?? 20) || 20));
  const order = q.get('order') ?? defaultOrder;
  if (order !== 'asc' && order !== 'desc') return { status: 400, body: { error: { message: `Invalid 'order': ${order}.`, type: 'invalid_request_error', param: 'order', code: null } } };
  const list = (order === 'asc' ? [...items] : [...items].reverse()).filter(filter);
  const after = q.get('after');
  let start = 0;
  if (after) {
    const i = list.findIndex((x) => x.id === after);
    if (i < 0) return { status: 404, body: { error: { message: `No item found with id '${after}'.`, type: 'invalid_request_error', param: 'after', code: null } } };
    start = i + 1;
  }
  const data = list.slice(start, start + limit);
  return { status: 200, body: { object: 'list', data, first_id: data[0]?.id ?? null, last_id: data[data.length - 1]?.id ?? null, has_more: start + limit < list.length } };
}

/** The filter of GET /v1/chat/completions: model and metadata[k]=v. */
export function storedFilter(q: URLSearchParams): (c: StoredItem['completion']) => boolean {
  const model = q.get('model');
  const meta: Array<[string, string]> = [];
  for (const [k, v] of q) {
    const m = /^metadata\[(.+)\]$/.exec(k);
    if (m) meta.push([m[1]!, v]);
  }
  return (c) => (!model || c.model === model) && meta.every(([k, v]) => c.metadata[k] === v);
}

/** The two endpoints over a seeded population: the list (filters, cursor, order) and each completion's messages. */
export function storedRoutes(n: number, seed: number, models: readonly string[], endS: number): (path: string, q: URLSearchParams) => { status: number; body: unknown } {
  const items = storedPopulation(n, seed, models, endS);
  const byId = new Map(items.map((x) => [x.completion.id, x]));
  const asc = items.map((x) => x.completion).reverse();
  return (path, q) => {
    if (path === '/v1/chat/completions') return listPage(asc, q, storedFilter(q));
    const m = /^\/v1\/chat\/completions\/([^/]+)\/messages$/.exec(path);
    let id: string | undefined;
    try {
      id = m ? decodeURIComponent(m[1]!) : undefined;
    } catch {
      id = undefined;
    }
    const item = id === undefined ? undefined : byId.get(id);
    if (!item) return { status: 404, body: { error: { message: `Invalid URL (GET ${path})`, type: 'invalid_request_error', param: null, code: null } } };
    return listPage(item.messages, q);
  };
}
