/**
 * The local upstream for bench/gateway: a minimal OpenAI-shaped chat server on node:http, run as a
 * child process (fork) so its work never shares the client's or the gateway's event loop. It does
 * as little as a server can (a prebuilt body, no JSON parsing beyond two substring checks), so
 * what it costs is the same for the direct and the gateway arm and cancels out of every difference.
 *
 * - non-streamed: answers at once with a fixed chat.completion (usage included);
 * - streamed (`"stream":true` in the body): a role chunk at once, then CHUNKS content chunks
 *   (`tok0`, `tok1`, …), the first TTFT_MS after the request and each next GAP_MS later, then
 *   usage when `include_usage` was asked, then [DONE];
 * - held (model `bench-hold`): a role chunk and a first content chunk at once, then one
 *   content chunk every HOLD_GAP_MS until told to release (IPC) or HOLD_MAX_MS passed: 2,000 of
 *   them are the "concurrent open streams" of the RSS figure.
 *
 * IPC: {cmd:'set', ttftMs?, gapMs?, chunks?} · {cmd:'stats'} → {served, streams, open, peakOpen}
 * (counters since the last stats) · {cmd:'release'} ends every held stream · {cmd:'exit'}.
 * Binds 127.0.0.1 only; first message {port}.
 */
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

let TTFT_MS = 5;
let GAP_MS = 1;
let CHUNKS = 8;
const HOLD_GAP_MS = 1000;
const HOLD_MAX_MS = 120_000;

const BODY = JSON.stringify({
  id: 'chatcmpl-gwbench', object: 'chat.completion', created: 0, model: 'gpt-4o-mini',
  choices: [{ index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop' }],
  usage: { prompt_tokens: 9, completion_tokens: 1, total_tokens: 10 },
});
const BODY_LEN = String(Buffer.byteLength(BODY));
const MODELS = JSON.stringify({ object: 'list', data: [{ id: 'gpt-4o-mini', object: 'model', owned_by: 'bench' }, { id: 'bench-hold', object: 'model', owned_by: 'bench' }] });
const chunk = (model: string, delta: object, finish: string | null = null) =>
  `data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', created: 0, model, choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
const usage = (model: string, n: number) =>
  `data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', created: 0, model, choices: [], usage: { prompt_tokens: 9, completion_tokens: n, total_tokens: 9 + n } })}\n\n`;

let served = 0;
let streams = 0;
let open = 0;
let peakOpen = 0;
const held = new Set<() => void>();

function streamed(res: ServerResponse, includeUsage: boolean): void {
  const t0 = performance.now();
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  res.write(chunk('gpt-4o-mini', { role: 'assistant', content: '' }));
  let i = 0;
  const next = () => {
    if (res.destroyed) return;
    res.write(chunk('gpt-4o-mini', { content: `tok${i}` }));
    if (++i < CHUNKS) return void setTimeout(next, Math.max(0, t0 + TTFT_MS + i * GAP_MS - performance.now()));
    res.write(chunk('gpt-4o-mini', {}, 'stop'));
    if (includeUsage) res.write(usage('gpt-4o-mini', CHUNKS));
    res.end('data: [DONE]\n\n');
  };
  setTimeout(next, TTFT_MS);
}

function hold(res: ServerResponse, includeUsage: boolean): void {
  open++;
  peakOpen = Math.max(peakOpen, open);
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  res.write(chunk('bench-hold', { role: 'assistant', content: '' }) + chunk('bench-hold', { content: 'tok0' }));
  let n = 1;
  let done = false;
  const end = () => {
    if (done) return;
    done = true;
    open--;
    clearInterval(tick);
    clearTimeout(cap);
    held.delete(end);
    if (res.destroyed) return;
    res.write(chunk('bench-hold', {}, 'stop'));
    if (includeUsage) res.write(usage('bench-hold', n));
    res.end('data: [DONE]\n\n');
  };
  const tick = setInterval(() => void (res.destroyed ? end() : (n++, res.write(chunk('bench-hold', { content: ` tok${n}` })))), HOLD_GAP_MS);
  const cap = setTimeout(end, HOLD_MAX_MS);
  res.on('close', end);
  held.add(end);
}

const server = createServer((req, res) => {
  req.socket.setNoDelay(true);
  if (req.method === 'GET') {
    req.resume();
    return void res.writeHead(200, { 'content-type': 'application/json' }).end(MODELS);
  }
  const parts: Buffer[] = [];
  req.on('data', (c: Buffer) => parts.push(c));
  req.on('end', () => {
    served++;
    const text = parts.length === 1 ? parts[0]!.toString() : Buffer.concat(parts).toString();
    if (!/"stream"\s*:\s*true/.test(text)) {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': BODY_LEN });
      return void res.end(BODY);
    }
    streams++;
    const inc = /"include_usage"\s*:\s*true/.test(text);
    if (text.includes('bench-hold')) hold(res, inc);
    else streamed(res, inc);
  });
});
server.keepAliveTimeout = 60_000;
server.maxConnections = 20_000;
server.listen(0, '127.0.0.1', () => process.send!({ port: (server.address() as AddressInfo).port }));

process.on('message', (m: { cmd: string; ttftMs?: number; gapMs?: number; chunks?: number }) => {
  if (m.cmd === 'set') {
    TTFT_MS = m.ttftMs ?? TTFT_MS;
    GAP_MS = m.gapMs ?? GAP_MS;
    CHUNKS = m.chunks ?? CHUNKS;
    process.send!({ ok: true });
  } else if (m.cmd === 'stats') {
    process.send!({ served, streams, open, peakOpen });
    served = 0;
    streams = 0;
    peakOpen = open;
  } else if (m.cmd === 'release') {
    for (const end of [...held]) end();
    process.send!({ ok: true });
  } else if (m.cmd === 'exit') {
    for (const end of [...held]) end();
    server.closeAllConnections();
    server.close(() => process.exit(0));
    setTimeout(() => process.exit(0), 2000).unref();
  }
});
process.on('disconnect', () => process.exit(0));
