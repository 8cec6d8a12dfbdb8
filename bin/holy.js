#!/usr/bin/env -S node --
// Entry point: the only place holy touches process.exit / signals.
// The "--" in the shebang matters: Node 20 scans its whole argv for --env-file and exits when the
// file is missing, before any of holy runs; after "--" the flag is holy's (`holy --env-file .env`).
// One bundled file (plus lazily loaded chunks): Node 20 has no compile cache, and resolving
// hundreds of small module files is most of a CLI's start-up time (bench/startup measures it).
import { main, processCtx } from '../dist/bundle/entry.js';

const ac = new AbortController();
let interrupts = 0;
// SIGTERM (docker stop, systemd, CI timeouts) and SIGHUP stop holy like Ctrl-C: `holy mock` then
// closes and prints its "stopped" line instead of dying mid-sentence.
for (const [sig, code] of [['SIGINT', 130], ['SIGTERM', 143], ['SIGHUP', 129]]) {
  process.on(sig, () => {
    interrupts += 1;
    if (interrupts > 1) process.exit(code); // second signal: leave now
    ac.abort(new Error('interrupted'));
  });
}
process.stdout.on('error', (err) => {
  if (err && err.code === 'EPIPE') process.exit(0); // `holy ... | head` is not an error
});

const code = await main(process.argv.slice(2), processCtx(ac.signal));
// A command interrupted mid-work throws Interrupted (130); one for which Ctrl-C is the normal stop
// (holy mock) returns normally and exits 0.
process.exitCode = code;
