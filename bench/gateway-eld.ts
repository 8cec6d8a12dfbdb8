/**
 * Preloaded into the gateway process by bench/gateway (`node --import gateway-eld.js bin/holy.js
 * gateway …`) so the event-loop delay is measured inside the gateway's own loop, independently of
 * what its /metrics reports and at a finer resolution than prom-client's default 10 ms sampling.
 * Idle until asked: {gwbench:'eld-start'} starts a 1 ms-resolution monitor (replacing any earlier
 * one), {gwbench:'eld'} answers {gwbench:'eld', p50Ms, p99Ms, maxMs, n, rssBytes, heapBytes} with
 * the monitor's resolution subtracted (Node records the whole timer interval), so 0 = no delay.
 * {gwbench:'alloc-start'} / {gwbench:'alloc'} measure the bytes the process allocates in between.
 * The IPC channel is unref'd: it never keeps the gateway alive after it decided to exit.
 */
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import { Session } from 'node:inspector';

const RES_MS = 1;
if (process.send) {
  let h: IntervalHistogram | undefined;
  const ms = (ns: number) => Math.max(0, ns / 1e6 - RES_MS);
  process.on('message', (m: { gwbench?: string }) => {
    if (m?.gwbench === 'eld-start') {
      h?.disable();
      h = monitorEventLoopDelay({ resolution: RES_MS });
      h.enable();
      process.send!({ gwbench: 'eld-started' });
    } else if (m?.gwbench === 'eld') {
      const mem = process.memoryUsage();
      const q = h && h.count > 0 ? { p50Ms: ms(h.percentile(50)), p99Ms: ms(h.percentile(99)), maxMs: ms(h.max), n: h.count } : { p50Ms: NaN, p99Ms: NaN, maxMs: NaN, n: 0 };
      process.send!({ gwbench: 'eld', ...q, rssBytes: mem.rss, heapBytes: mem.heapUsed });
    }
  });
  // Allocation: V8's sampling heap profiler counting the objects the GC has already collected too, so
  // its total is what the process allocated while it ran (a figure that does not depend on the machine's
  // speed, unlike CPU time). {gwbench:'alloc-start'} → 'alloc-started'; {gwbench:'alloc'} → {bytes}.
  let session: Session | undefined;
  const post = <T>(method: string, params?: object) =>
    new Promise<T>((resolve, reject) => session!.post(method, params ?? {}, (e, r) => (e ? reject(e) : resolve(r as T))));
  type Node = { selfSize: number; children: Node[] };
  const total = (n: Node): number => n.selfSize + n.children.reduce((a, c) => a + total(c), 0);
  process.on('message', (m: { gwbench?: string }) => {
    if (m?.gwbench === 'alloc-start') {
      void (async () => {
        if (!session) {
          session = new Session();
          session.connect();
        }
        await post('HeapProfiler.enable');
        await post('HeapProfiler.startSampling', { samplingInterval: 4096, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
        process.send!({ gwbench: 'alloc-started' });
      })().catch((e: Error) => process.send!({ gwbench: 'alloc-started', error: e.message }));
    } else if (m?.gwbench === 'alloc') {
      // The profiler is switched off and the session closed before answering: an enabled HeapProfiler keeps
      // V8 tracking object moves in every GC, which slowed each scavenge enough to double the gateway's
      // p99 in the latency part that follows (measured: +1.7 → +5.5 ms added at 500 req/s).
      void (async () => {
        const r = await post<{ profile: { head: Node } }>('HeapProfiler.stopSampling');
        await post('HeapProfiler.disable');
        session!.disconnect();
        session = undefined;
        return total(r.profile.head);
      })()
        .then((bytes) => process.send!({ gwbench: 'alloc', bytes }))
        .catch((e: Error) => process.send!({ gwbench: 'alloc', bytes: NaN, error: e.message }));
    }
  });
  process.channel?.unref();
}
