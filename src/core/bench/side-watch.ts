/** Early warnings about one side of a bench run, each given once: a side failing every request, a capped Retry-After. */
import type { RetryWait } from './retry-wait.js';

/** After this many requests, all failed and none succeeded, a side is evidently down (bad key, wrong URL, no route). */
export const ALL_FAILED_AFTER = 5;

const seconds = (ms: number) => `${Math.round(ms / 100) / 10} s`;

export class SideWatch {
  private requests = 0;
  private ok = 0;
  private readonly classes = new Map<string, number>();
  private failWarned = false;
  private capWarned = false;

  /**
   * @param name the side as the user knows it ("new (holysheep)")
   * @param abortAfter the --abort-after threshold, if set (then the suggestion is not repeated)
   */
  constructor(private readonly name: string, private readonly abortAfter?: number) {}

  /** Record one request's outcome; returns the warning the first time every request so far has failed. */
  record(ok: boolean, errorClass: string | undefined): string | undefined {
    this.requests++;
    if (ok) this.ok++;
    else this.classes.set(errorClass ?? 'unknown', (this.classes.get(errorClass ?? 'unknown') ?? 0) + 1);
    if (this.failWarned || this.ok > 0 || this.requests < ALL_FAILED_AFTER) return undefined;
    this.failWarned = true;
    const why = [...this.classes].sort((a, b) => b[1] - a[1]).map(([c, n]) => `${c} ×${n}`).join(', ');
    const stop = this.abortAfter
      ? `--abort-after ${this.abortAfter} stops it after ${this.abortAfter} failures in a row`
      : `or stop a side that fails like this early with --abort-after N (e.g. --abort-after ${ALL_FAILED_AFTER})`;
    return `${this.name}: its first ${this.requests} requests all failed (${why}); none of its figures will mean anything. Check its key, base URL and network (holy verify), ${stop}.`;
  }

  /** The warning the first time a retry wait is capped. */
  capped(w: RetryWait): string | undefined {
    if (!w.capped || this.capWarned) return undefined;
    this.capWarned = true;
    const did = w.retry ? `waiting ${seconds(w.waitMs)} instead` : 'not retrying';
    return `${this.name}: asked to wait ${seconds(w.requestedMs)} before a retry (Retry-After); ${did}, bounded by the ${w.bound}. Capped waits are counted in the summary (retries.capped).`;
  }
}
