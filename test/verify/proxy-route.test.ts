import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, request as httpRequest, type Server } from 'node:http';
import { connect, type Socket } from 'node:net';
import { startMock, type MockServer } from '../../src/mock/server.js';
import { checksOf, run, NEW_KEY } from './setup.js';

// A real forward proxy on loopback that counts what it is asked to carry: CONNECT tunnels and plain
// absolute-URI requests. Whatever host is asked for, it connects to the mock, so a name that does not resolve
// (relay.example.invalid) is reachable only through it.
let proxy: Server;
let pport = 0;
const carried: string[] = [];
const sockets = new Set<Socket>();
let mock4: MockServer;
let mock6: MockServer | undefined;

before(async () => {
  mock4 = await startMock({ key: NEW_KEY });
  try {
    mock6 = await startMock({ key: NEW_KEY, host: '::1' });
  } catch {
    mock6 = undefined; // no IPv6 loopback on this machine
  }
  proxy = createServer((req, res) => {
    carried.push(`${req.method} ${req.url}`);
    const u = new URL(req.url!);
    const up = httpRequest({ host: '127.0.0.1', port: mock4.port, method: req.method, path: u.pathname + u.search, headers: req.headers }, (r) => {
      res.writeHead(r.statusCode!, r.headers);
      r.pipe(res);
    });
    req.pipe(up);
  });
  proxy.on('connect', (req, socket: Socket, head: Buffer) => {
    carried.push(`CONNECT ${req.url}`);
    sockets.add(socket);
    const up = connect(mock4.port, '127.0.0.1', () => {
      socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      up.write(head);
      up.pipe(socket);
      socket.pipe(up);
    });
    up.on('error', () => socket.destroy());
    socket.on('error', () => up.destroy());
  });
  await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', () => r()));
  pport = (proxy.address() as { port: number }).port;
});
after(async () => {
  for (const s of sockets) s.destroy();
  proxy.closeAllConnections();
  await new Promise<void>((r) => proxy.close(() => r()));
  await Promise.all([mock4.close(), mock6?.close()]);
});

async function verifyVia(url: string, extraEnv: Record<string, string> = {}) {
  carried.length = 0;
  const proxyUrl = `http://127.0.0.1:${pport}`;
  const r = await run(['verify', '--provider', `p=${url}`, '--json', '--timeout', '5000'], { env: { P_API_KEY: NEW_KEY, HTTP_PROXY: proxyUrl, HTTPS_PROXY: proxyUrl, ...extraEnv } });
  const { by, doc } = checksOf(r.stdout);
  return { shown: doc.providers[0].proxy as string | undefined, models: by.get('p/models')!, carried: [...carried] };
}

test('loopback is never proxied: 127.0.0.1, localhost and [::1] go direct, and holy says so', async (t) => {
  const targets = [`http://127.0.0.1:${mock4.port}/v1`, `http://localhost:${mock4.port}/v1`];
  if (mock6) targets.push(`http://[::1]:${mock6.port}/v1`);
  else t.diagnostic('no IPv6 loopback here: [::1] not checked');
  for (const url of targets) {
    const v = await verifyVia(url);
    assert.equal(v.shown ?? null, null, `${url}: shown as going through a proxy`);
    assert.deepEqual(v.carried, [], `${url}: the proxy carried ${v.carried.join(', ')}`);
    // localhost may resolve to ::1 first, where only mock6 listens; what matters is that the proxy was not used.
    if (!url.includes('localhost')) assert.equal(v.models.status, 'pass', `${url}: ${JSON.stringify(v.models)}`);
  }
});

test('a remote name goes through the proxy holy names; with the name in NO_PROXY it goes direct and holy says so', async () => {
  const via = await verifyVia(`http://relay.example.invalid:${mock4.port}/v1`);
  assert.equal(via.shown, `http://127.0.0.1:${pport}/`);
  assert.ok(via.carried.length >= 1, 'the proxy carried the requests');
  assert.ok(via.carried.every((c) => c.includes('relay.example.invalid')), via.carried.join(', '));
  assert.equal(via.models.status, 'pass', JSON.stringify(via.models));

  const direct = await verifyVia(`http://relay.example.invalid:${mock4.port}/v1`, { NO_PROXY: 'example.invalid' });
  assert.equal(direct.shown ?? null, null);
  assert.deepEqual(direct.carried, [], 'NO_PROXY honoured by the route, not only by the display');
  assert.notEqual(direct.models.status, 'pass', 'direct, the name does not resolve');
});
