/**
 * The gateway's billing ledger (docs/ledger.md): one SQLite row per request, written by a worker
 * thread in batches. add() only pushes to an in-memory batch — no I/O, no serialization, no throw —
 * and the batch goes to the writer every `flushMs` or every `batchRows` rows, one transaction each.
 * When the writer falls behind by more than `maxQueue` rows, or a write fails (disk full, read-only
 * file, lock held too long…), the rows are counted in lost() and onLoss(n, why) says so: requests are
 * served either way.
 */
import { Worker } from 'node:worker_threads';
import { resolve } from 'node:path';
import { RuntimeError, UsageError } from '../../errors.js';
import type { Ledger, LedgerEntry } from '../../core/gateway/types.js';
import type { FromWorker, ToWorker, WorkerInit } from './ledger-worker.js';
import { toWire, type WireRow } from './schema.js';

export interface LedgerOptions {
  /** Rows lost and why (the gateway logs it loudly and counts it in /metrics); reports are coalesced per batch. */
  onLoss?: (n: number, why: string) => void;
  /** Send the batch to the writer after this many ms (default 100). */
  flushMs?: number;
  /** …or as soon as it holds this many rows (default 512). */
  batchRows?: number;
  /** Rows queued (batched or being written) before new rows are dropped and counted as lost (default 100,000). */
  maxQueue?: number;
  /** How long a write waits for another connection's lock before the batch counts as lost (default 5,000 ms). */
  busyTimeoutMs?: number;
  /** PRAGMA max_page_count: a cap on the file's size in pages (tests fill the file with it). */
  maxPageCount?: number;
}

/** The Ledger plus figures for /metrics and tests. */
export interface LedgerHandle extends Ledger {
  /** Rows accepted by add() and not yet written or lost. */
  queued(): number;
  /** Which SQLite driver writes, the file's ledger id, and the writer thread's time in transactions (ms). */
  stats(): { backend: string; ledgerId: string; batches: number; writeMs: number };
}

/**
 * Open (creating it when new) the ledger at `path`. Rejects with a UsageError when the file is not a
 * holy ledger, and a RuntimeError when it cannot be opened at all; later failures are counted, never thrown.
 */
export async function openLedger(path: string, o: LedgerOptions = {}): Promise<LedgerHandle> {
  const flushMs = o.flushMs ?? 100;
  const batchRows = Math.max(1, o.batchRows ?? 512);
  const maxQueue = Math.max(1, o.maxQueue ?? 100_000);
  const init: WorkerInit = { path: resolve(path), busyTimeoutMs: o.busyTimeoutMs ?? 5000, ...(o.maxPageCount ? { maxPageCount: o.maxPageCount } : {}) };
  // Beside this file under tsc (dist/src/adapters/ledger/), beside the chunk in the bundle (dist/bundle/).
  // A small young generation: the writer's garbage is a batch's rows and their prices, short-lived and
  // collected often off the event loop, and V8's default for it (tens of MB) would only add to the RSS.
  const worker = new Worker(new URL('./ledger-worker.js', import.meta.url), { workerData: init, resourceLimits: { maxYoungGenerationSizeMb: 4 } });

  const ready = await new Promise<{ backend: string; ledgerId: string }>((res, rej) => {
    const onMessage = (m: FromWorker) => {
      if (m.t === 'ready') {
        off();
        res(m);
      } else if (m.t === 'fatal') {
        off();
        void worker.terminate();
        rej(m.usage ? new UsageError(m.message) : new RuntimeError(m.message));
      }
    };
    const onError = (e: Error) => {
      off();
      rej(new RuntimeError(`the ledger writer for ${path} failed to start: ${e.message}`));
    };
    const onExit = (code: number) => {
      off();
      rej(new RuntimeError(`the ledger writer for ${path} stopped while opening the file (exit ${code}).`));
    };
    const off = () => {
      worker.off('message', onMessage);
      worker.off('error', onError);
      worker.off('exit', onExit);
    };
    worker.on('message', onMessage);
    worker.once('error', onError);
    worker.once('exit', onExit);
  });

  // Rows in their wire form (schema.ts, toWire): each is flattened when added, so the flush's copy to the writer stays short.
  let batch: WireRow[] = [];
  /** Rows posted to the writer and not yet reported back. */
  let inFlight = 0;
  let written = 0;
  let lost = 0;
  let batches = 0;
  let writeMs = 0;
  let timer: NodeJS.Timeout | undefined;
  let closing: Promise<void> | undefined;
  let isClosing = false;
  /** Set when the writer is gone: every later row is lost with this reason. */
  let dead: string | undefined;
  /** Rows dropped on this thread since the last report, by reason (one onLoss per reason per flush). */
  const drops = new Map<string, number>();
  let onClosed: (() => void) | undefined;

  const report = (n: number, why: string) => {
    if (n <= 0) return;
    try {
      o.onLoss?.(n, why);
    } catch {
      // A logger that throws must not stop the ledger.
    }
  };
  let lossTimer: NodeJS.Timeout | undefined;
  const reportDrops = () => {
    if (lossTimer !== undefined) {
      clearTimeout(lossTimer);
      lossTimer = undefined;
    }
    for (const [why, n] of drops) report(n, why);
    drops.clear();
  };
  // Rows dropped here are reported together, at most once a second per reason (an overload is one log line a second, not one per request).
  const drop = (why: string) => {
    lost++;
    drops.set(why, (drops.get(why) ?? 0) + 1);
    if (lossTimer === undefined) {
      lossTimer = setTimeout(reportDrops, Math.min(flushMs, 1000));
      lossTimer.unref();
    }
  };
  // The worker keeps the process alive only while it has rows to write (or a close to finish).
  const refresh = () => {
    if (inFlight > 0 || isClosing) worker.ref();
    else worker.unref();
  };
  const schedule = () => {
    if (timer === undefined) {
      timer = setTimeout(flush, flushMs);
      timer.unref();
    }
  };
  function flush(): void {
    if (timer !== undefined) {
      clearTimeout(timer);
      timer = undefined;
    }
    reportDrops();
    if (batch.length === 0) return;
    const rows = batch;
    batch = [];
    if (dead) {
      lost += rows.length;
      report(rows.length, dead);
      return;
    }
    inFlight += rows.length;
    try {
      worker.postMessage({ t: 'rows', rows } satisfies ToWorker);
    } catch (e) {
      // A row that cannot be cloned (a function, a symbol): the batch is lost, the ledger goes on.
      inFlight -= rows.length;
      lost += rows.length;
      report(rows.length, `rows could not be sent to the writer (${(e as Error).message})`);
    }
    refresh();
  }

  const die = (why: string) => {
    if (dead) return;
    dead = why;
    const gone = inFlight + batch.length;
    inFlight = 0;
    batch = [];
    lost += gone;
    report(gone, why);
    onClosed?.();
  };

  worker.on('message', (m: FromWorker) => {
    if (m.t === 'done') {
      inFlight -= m.n;
      written += m.written;
      lost += m.lost;
      batches++;
      writeMs += m.ms;
      if (m.lost) report(m.lost, m.why ?? 'write failed');
      refresh();
    } else if (m.t === 'closed') onClosed?.();
  });
  worker.on('error', (e) => die(`the ledger writer crashed (${e.message})`));
  worker.on('exit', (code) => {
    if (!isClosing) die(`the ledger writer stopped (exit ${code})`);
    else onClosed?.();
  });
  refresh();

  return {
    add(row: LedgerEntry): void {
      try {
        if (isClosing) return drop('the ledger is closed');
        if (dead) return drop(dead);
        if (batch.length + inFlight >= maxQueue) return drop(`the ledger writer is ${maxQueue} rows behind (queue full)`);
        batch.push(toWire(row));
        if (batch.length >= batchRows) flush();
        else schedule();
      } catch {
        // Never throws: the request has been served; only the count can tell.
        lost++;
      }
    },
    written: () => written,
    lost: () => lost,
    queued: () => batch.length + inFlight,
    stats: () => ({ backend: ready.backend, ledgerId: ready.ledgerId, batches, writeMs }),
    close(): Promise<void> {
      closing ??= new Promise<void>((res) => {
        isClosing = true;
        onClosed = () => {
          onClosed = undefined;
          reportDrops();
          void worker.terminate().then(() => res());
        };
        flush();
        if (dead) return onClosed();
        refresh();
        worker.postMessage({ t: 'close' } satisfies ToWorker);
      });
      return closing;
    },
  };
}
