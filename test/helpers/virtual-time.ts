/**
 * Virtual time for tests of timers: a clock that moves only when the test runs it, and timers on it.
 * `run()` fires due timers in time order and lets every promise chain settle between them, so a
 * simulation's figures are the same on any machine.
 */
import type { SchedulerTimers } from '../../src/gateway/scheduler.js';

interface Timer {
  at: number;
  seq: number;
  fn: () => void;
  cancelled: boolean;
}

/** Let every queued microtask (promise reaction) run. */
export const settle = (): Promise<void> => new Promise((r) => setImmediate(r));

export class VirtualTime {
  now = 0;
  private timersQ: Timer[] = [];
  private seq = 0;
  readonly clock = (): number => this.now;
  readonly timers: SchedulerTimers = {
    set: (fn, ms) => this.at(this.now + Math.max(0, ms), fn),
    clear: (h) => void ((h as Timer).cancelled = true),
  };

  /** Run fn at virtual time `at`. */
  at(at: number, fn: () => void): Timer {
    const t: Timer = { at, seq: this.seq++, fn, cancelled: false };
    // sorted insert (tests have few timers pending at once)
    let i = this.timersQ.length;
    while (i > 0 && (this.timersQ[i - 1]!.at > at || (this.timersQ[i - 1]!.at === at && this.timersQ[i - 1]!.seq > t.seq))) i--;
    this.timersQ.splice(i, 0, t);
    return t;
  }

  /** Timers not yet fired or cancelled. */
  pending(): number {
    return this.timersQ.filter((t) => !t.cancelled).length;
  }

  /** Fire timers in order up to `until` (all of them when omitted); the clock ends at `until`. */
  async run(until = Infinity): Promise<void> {
    await settle();
    for (;;) {
      const t = this.timersQ[0];
      if (!t || t.at > until) break;
      this.timersQ.shift();
      if (t.cancelled) continue;
      this.now = Math.max(this.now, t.at);
      t.fn();
      await settle();
    }
    if (until !== Infinity) this.now = Math.max(this.now, until);
  }
}
