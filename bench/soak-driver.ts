/**
 * For bench/overhead's soak: runs `holy bench ARGS` in this process (started with --expose-gc) and,
 * every second, collects garbage and reports over IPC the live JS memory (heap used + array
 * buffers) and the RSS. RSS alone grows with V8's heap sizing policy for minutes before it levels
 * off; the live memory after a collection is what a long run accumulates per pair.
 */
import { main, processCtx } from '../src/entry.js';

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');
const ac = new AbortController();
const tick = setInterval(() => {
  gc();
  const m = process.memoryUsage();
  process.send!({ live: m.heapUsed + m.arrayBuffers, rss: m.rss });
}, 1000);
const code = await main(['bench', ...process.argv.slice(2)], processCtx(ac.signal));
clearInterval(tick);
process.exitCode = code;
