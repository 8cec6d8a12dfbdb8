/** Worker thread for bench: loads the tokenizer before the run starts, then does each finished pair's CPU work. */
import { parentPort, workerData } from 'node:worker_threads';
import { doPairWork, preloadEncodings, type PairWorkRequest } from '../../core/bench/pair-work.js';

const port = parentPort!;
preloadEncodings((workerData as { models: string[] }).models);
port.postMessage({ ready: true });
port.on('message', (m: { id: number; req?: PairWorkRequest; preload?: string[] }) => {
  try {
    if (m.preload) {
      preloadEncodings(m.preload);
      port.postMessage({ id: m.id });
    } else port.postMessage({ id: m.id, reply: doPairWork(m.req!) });
  } catch (e) {
    port.postMessage({ id: m.id, error: (e as Error).message });
  }
});
