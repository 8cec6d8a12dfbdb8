/**
 * The floor for bench/gateway: the least a Node proxy hop can cost on this machine. A bare
 * node:http server that forwards every request to the upstream over an undici Pool and pipes the
 * answer back chunk by chunk (no auth, no JSON, no ledger), run as its own process like the
 * gateway. Its added latency next to the gateway's says how much of the gateway's is Node and
 * loopback TCP (a second hop, two more processes' scheduling) and how much is the gateway's work.
 * argv[2] = upstream origin (http://127.0.0.1:PORT). First IPC message {port}.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Pool } from 'undici';

const upstream = process.argv[2]!;
if (!/^http:\/\/127\.0\.0\.1:\d+$/.test(upstream)) throw new Error(`gateway-floor: loopback upstream origin expected, got ${upstream}`);
const pool = new Pool(upstream, { connections: 4096, pipelining: 1, keepAliveTimeout: 60_000 });
const KEY = process.env.GWBENCH_UP_KEY ?? '';

const server = createServer((req, res) => {
  req.socket.setNoDelay(true);
  const parts: Buffer[] = [];
  req.on('data', (c: Buffer) => parts.push(c));
  req.on('end', () => {
    const body = parts.length === 1 ? parts[0]! : Buffer.concat(parts);
    pool.dispatch(
      { path: req.url ?? '/', method: (req.method ?? 'GET') as 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY}` }, body: req.method === 'GET' ? null : body },
      {
        onRequestStart(c) {
          res.on('close', () => void (res.writableFinished ? undefined : c.abort(new Error('client closed'))));
        },
        onResponseStart(_c, status, headers) {
          const h: Record<string, string> = {};
          for (const k of ['content-type', 'content-length', 'cache-control']) {
            const v = headers[k];
            if (typeof v === 'string') h[k] = v;
          }
          res.writeHead(status, h);
        },
        onResponseData(_c, chunk) {
          res.write(chunk);
        },
        onResponseEnd() {
          res.end();
        },
        onResponseError(_c, err) {
          if (!res.headersSent) res.writeHead(502, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message: err.message, type: 'upstream_error', param: null, code: null } }));
          else res.destroy();
        },
      },
    );
  });
});
server.keepAliveTimeout = 60_000;
server.maxConnections = 20_000;
server.listen(0, '127.0.0.1', () => process.send!({ port: (server.address() as AddressInfo).port }));
process.on('message', (m: { cmd: string }) => {
  if (m.cmd === 'exit') {
    server.closeAllConnections();
    server.close(() => process.exit(0));
    setTimeout(() => process.exit(0), 2000).unref();
  }
});
process.on('disconnect', () => process.exit(0));
