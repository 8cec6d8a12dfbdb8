import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeHttp } from '../../src/adapters/http.js';
import { fakeCtx } from '../helpers/ctx.js';

test('proxyFor names the proxy without its credentials, and never for loopback or NO_PROXY hosts', async () => {
  const token = 'prx' + 'tok9f8e7d6c5b4a';
  const cases: Array<[string, string]> = [
    [`http://user:secret@proxy.example:3128`, 'http://user:***@proxy.example:3128/'],
    [`http://${token}@proxy.example:3128`, 'http://***@proxy.example:3128/'],
    ['http://proxy.example:3128', 'http://proxy.example:3128/'],
  ];
  for (const [proxy, shown] of cases) {
    const http = makeHttp(fakeCtx({ env: { HTTPS_PROXY: proxy, NO_PROXY: 'internal.example' } }));
    try {
      assert.equal(http.proxyFor('https://relay.example/v1'), shown);
      assert.equal(http.proxyFor('http://127.0.0.1:8080/v1'), undefined);
      assert.equal(http.proxyFor('https://api.internal.example/v1'), undefined);
    } finally {
      await http.close();
    }
  }
});
