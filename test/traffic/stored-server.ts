/** A local stored-completions server for the pull tests: the two endpoints, pagination, filters, and faults on demand. */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { listPage, storedFilter, storedPopulation, type StoredItem } from '../../src/mock/stored.js';

export interface Seen {
  path: string;
  query: URLSearchParams;
  /** Server's own clock (performance.now) when the request arrived. */
  at: number;
  auth: string | undefined;
}

/** What to do with a request: answer normally, answer with a status (and headers), or cut the connection. */
export type Fault = { status: number; headers?: Record<string, string>; body?: string } | 'cut' | undefined;

export interface StoredServer {
  url: string;
  seen: Seen[];
  items: StoredItem[];
  /** Decide a fault for the n-th request (1-based) to path; replaced freely between runs. */
  fault: (n: number, path: string, q: URLSearchParams) => Fault;
  close(): Promise<void>;
}

export const KEY = 'test-stored-key-0123456789';

export async function startStoredServer(n: number, opts: { endS?: number; relay?: 404 | 405 } = {}): Promise<StoredServer> {
  const items = storedPopulation(n, 7, ['gpt-4o', 'gpt-4o-mini', 'gpt-4.1'], opts.endS ?? 1_780_000_000);
  const asc = items.map((x) => x.completion).reverse();
  const byId = new Map(items.map((x) => [x.completion.id, x]));
  const seen: Seen[] = [];
  const s: StoredServer = { url: '', seen, items, fault: () => undefined, close: async () => undefined };
  const reply = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(typeof body === 'string' ? body : JSON.stringify(body));
  };
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    req.resume();
    const u = new URL(req.url ?? '/', 'http://x');
    seen.push({ path: u.pathname, query: u.searchParams, at: performance.now(), auth: req.headers.authorization });
    const f = s.fault(seen.length, u.pathname, u.searchParams);
    if (f === 'cut') return void req.socket.destroy();
    if (f) return reply(res, f.status, f.body ?? { error: { message: `fault ${f.status}`, type: 'server_error' } }, f.headers);
    if (req.headers.authorization !== `Bearer ${KEY}`) return reply(res, 401, { error: { message: 'Incorrect API key provided.', type: 'invalid_request_error', code: 'invalid_api_key' } });
    if (opts.relay) return reply(res, opts.relay, { error: { message: opts.relay === 404 ? `Invalid URL (GET ${u.pathname})` : 'Method Not Allowed', type: 'invalid_request_error' } });
    if (u.pathname === '/v1/chat/completions') {
      const r = listPage(asc, u.searchParams, storedFilter(u.searchParams));
      return reply(res, r.status, r.body);
    }
    const m = /^\/v1\/chat\/completions\/([^/]+)\/messages$/.exec(u.pathname);
    const item = m ? byId.get(decodeURIComponent(m[1]!)) : undefined;
    if (!item) return reply(res, 404, { error: { message: 'not found', type: 'invalid_request_error' } });
    const r = listPage(item.messages, u.searchParams);
    return reply(res, r.status, r.body);
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  s.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  s.close = () => new Promise<void>((ok) => {
    server.close(() => ok());
    server.closeAllConnections();
  });
  return s;
}
