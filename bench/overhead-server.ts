/**
 * Zero-delay chat-completions server for bench/overhead, run as a child process (so it does not share
 * the load generator's event loop). It measures its own handling time — request event → response
 * finished — and reports percentiles over IPC ("stats" message), then resets.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

const BODY = JSON.stringify({
  id: 'chatcmpl-overhead',
  object: 'chat.completion',
  created: 0,
  model: 'gpt-4o-mini',
  choices: [{ index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop' }],
  usage: { prompt_tokens: 9, completion_tokens: 1, total_tokens: 10 },
});
const MODELS = JSON.stringify({ object: 'list', data: [{ id: 'gpt-4o-mini', object: 'model', owned_by: 'bench' }] });

let samples = new Float64Array(1 << 16);
let n = 0;
function push(v: number): void {
  if (n === samples.length) {
    const next = new Float64Array(samples.length * 2);
    next.set(samples);
    samples = next;
  }
  samples[n++] = v;
}

const server = createServer((req, res) => {
  const t0 = performance.now();
  const models = req.url?.endsWith('/models');
  req.on('data', () => undefined);
  req.on('end', () => {
    const body = models ? MODELS : BODY;
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
  if (!models) res.on('finish', () => push(performance.now() - t0));
});
server.keepAliveTimeout = 30_000;
server.listen(0, '127.0.0.1', () => process.send!({ port: (server.address() as AddressInfo).port }));

process.on('message', (m: unknown) => {
  if (m === 'stats') {
    const s = Float64Array.from(samples.subarray(0, n)).sort();
    const q = (p: number) => (n ? s[Math.max(0, Math.ceil((p / 100) * n) - 1)]! : NaN);
    process.send!({ n, p50: q(50), p99: q(99) });
    n = 0;
  } else if (m === 'reset') {
    n = 0;
    process.send!({ reset: true });
  } else if (m === 'exit') {
    server.closeAllConnections();
    server.close(() => process.exit(0));
  }
});
