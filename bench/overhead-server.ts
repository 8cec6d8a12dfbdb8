/**
 * Chat-completions server for bench/overhead, run as a child process (so it does not share the
 * load generator's event loop). It times itself on performance.now (µs resolution):
 * - non-streamed: answers at once; handling time = request event → response finished;
 * - streamed (stream: true): a role chunk, then CHUNKS content chunks, the first TTFT_MS after the
 *   request and each next GAP_MS later, then usage (unless told to ignore include_usage) and
 *   [DONE]; it records its own TTFT (request event → first content chunk written) and the gaps
 *   between content chunks as written.
 * IPC: {cmd:'stats'} → percentiles, then reset; {cmd:'served'} → chat requests so far; {cmd:'usage', on}; {cmd:'exit'}.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export const CHUNKS = 60;
const TTFT_MS = 20;
const GAP_MS = 2;
const BODY = JSON.stringify({
  id: 'chatcmpl-overhead', object: 'chat.completion', created: 0, model: 'gpt-4o-mini',
  choices: [{ index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop' }],
  usage: { prompt_tokens: 9, completion_tokens: 1, total_tokens: 10 },
});
const MODELS = JSON.stringify({ object: 'list', data: [{ id: 'gpt-4o-mini', object: 'model', owned_by: 'bench' }] });
const chunk = (delta: object, finish: string | null = null) => `data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', created: 0, model: 'gpt-4o-mini', choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
const USAGE = `data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', created: 0, model: 'gpt-4o-mini', choices: [], usage: { prompt_tokens: 9, completion_tokens: CHUNKS, total_tokens: 9 + CHUNKS } })}\n\n`;

class Series {
  v = new Float64Array(1 << 16);
  n = 0;
  push(x: number): void {
    if (this.n === this.v.length) {
      const next = new Float64Array(this.v.length * 2);
      next.set(this.v);
      this.v = next;
    }
    this.v[this.n++] = x;
  }
  q(): { n: number; p50: number; p99: number } {
    const s = Float64Array.from(this.v.subarray(0, this.n)).sort();
    const at = (p: number) => (this.n ? s[Math.max(0, Math.ceil((p / 100) * this.n) - 1)]! : NaN);
    return { n: this.n, p50: at(50), p99: at(99) };
  }
}

let handling = new Series();
let ttft = new Series();
let itl = new Series();
let usage = true;
let served = 0;

function stream(t0: number, res: import('node:http').ServerResponse, includeUsage: boolean): void {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  res.write(chunk({ role: 'assistant', content: '' }));
  let i = 0;
  let last = 0;
  const next = () => {
    const now = performance.now();
    res.write(chunk({ content: ` w${i}` }));
    if (i === 0) ttft.push(now - t0);
    else itl.push(now - last);
    last = now;
    if (++i < CHUNKS) return void setTimeout(next, Math.max(0, t0 + TTFT_MS + i * GAP_MS - performance.now()));
    res.write(chunk({}, 'stop'));
    if (includeUsage && usage) res.write(USAGE);
    res.end('data: [DONE]\n\n');
  };
  setTimeout(next, TTFT_MS);
}

const server = createServer((req, res) => {
  const t0 = performance.now();
  const models = req.url?.endsWith('/models');
  req.socket.setNoDelay(true);
  const parts: Buffer[] = [];
  req.on('data', (c: Buffer) => parts.push(c));
  req.on('end', () => {
    if (models) return void res.writeHead(200, { 'content-type': 'application/json' }).end(MODELS);
    served++;
    const text = Buffer.concat(parts).toString();
    if (text.includes('"stream":true')) return stream(t0, res, text.includes('"include_usage":true'));
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(BODY) });
    res.end(BODY);
    res.on('finish', () => handling.push(performance.now() - t0));
  });
});
server.keepAliveTimeout = 30_000;
server.listen(0, '127.0.0.1', () => process.send!({ port: (server.address() as AddressInfo).port }));

process.on('message', (m: { cmd: string; on?: boolean }) => {
  if (m.cmd === 'stats') {
    process.send!({ handling: handling.q(), ttft: ttft.q(), itl: itl.q() });
    handling = new Series();
    ttft = new Series();
    itl = new Series();
  } else if (m.cmd === 'served') {
    process.send!({ served });
  } else if (m.cmd === 'usage') {
    usage = !!m.on;
    process.send!({ ok: true });
  } else if (m.cmd === 'exit') {
    server.closeAllConnections();
    server.close(() => process.exit(0));
  }
});
