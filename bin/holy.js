#!/usr/bin/env -S node --
// Entry point: the only place holy touches process.exit / signals.
// The "--" in the shebang matters: Node 20 scans its whole argv for --env-file and exits when the
// file is missing, before any of holy runs; after "--" the flag is holy's (`holy --env-file .env`).
// One bundled file (plus lazily loaded chunks): Node 20 has no compile cache, and resolving
// hundreds of small module files is most of a CLI's start-up time (bench/startup measures it).
import { deliverHangup, main, processCtx, removeTempFiles, STOP_SIGNALS, stopReason } from '../dist/bundle/entry.js';

// Ctrl-C, SIGTERM (timeout, CI runners, docker stop, Kubernetes) and SIGHUP (terminal closed) all stop
// a run the same way: Ctx.signal aborts, long commands stop sending, keep what they measured and exit
// 130/143/129. A second signal exits at once, removing the temp files still being written.
// Exception: while a server that reloads on SIGHUP runs (holy gateway), SIGHUP goes to it instead.
const ac = new AbortController();
let stops = 0;
for (const sig of Object.keys(STOP_SIGNALS)) {
  process.on(sig, () => {
    if (sig === 'SIGHUP' && deliverHangup()) return;
    stops += 1;
    if (stops > 1) {
      removeTempFiles();
      process.exit(STOP_SIGNALS[sig]);
    }
    ac.abort(stopReason(sig));
  });
}
process.stdout.on('error', (err) => {
  if (err && err.code === 'EPIPE') process.exit(0); // `holy ... | head` is not an error
});

const code = await main(process.argv.slice(2), processCtx(ac.signal));
// A command interrupted mid-work throws Interrupted (130, or 143/129 for SIGTERM/SIGHUP); one for
// which Ctrl-C is the normal stop (holy mock) returns normally and exits 0.
process.exitCode = code;
