/** Client-side limits: requests/tokens per minute, and a consecutive-failure circuit breaker. */

/**
 * A sliding-window limiter for --rpm/--tpm: `reserve` returns the earliest time (same clock as
 * `now`) a request of `tokens` may start, and books it, so concurrent callers queue in order.
 */
export class MinuteLimiter {
  private readonly events: Array<{ at: number; tokens: number }> = [];
  constructor(private readonly rpm?: number, private readonly tpm?: number) {}
  get active(): boolean {
    return !!(this.rpm || this.tpm);
  }
  reserve(now: number, tokens: number): number {
    if (!this.active) return now;
    let at = now;
    // Drop bookings older than a minute before the candidate time, then check both budgets.
    for (;;) {
      while (this.events.length && this.events[0]!.at <= at - 60_000) this.events.shift();
      const reqOk = !this.rpm || this.events.length < this.rpm;
      const used = this.events.reduce((s, e) => s + e.tokens, 0);
      // A single request bigger than the whole budget still goes, alone, once the window is empty.
      const tokOk = !this.tpm || used + tokens <= this.tpm || this.events.length === 0;
      if (reqOk && tokOk) break;
      at = this.events[0]!.at + 60_000;
    }
    // Keep bookings ordered by time so the window logic above stays valid.
    let i = this.events.length;
    while (i > 0 && this.events[i - 1]!.at > at) i--;
    this.events.splice(i, 0, { at, tokens });
    return at;
  }
}

/** Opens after `threshold` consecutive failures; once open it stays open for the rest of the run. */
export class Breaker {
  private streak = 0;
  open = false;
  openedAfter = 0;
  constructor(private readonly threshold?: number) {}
  record(ok: boolean, index: number): void {
    if (this.open || !this.threshold) return;
    this.streak = ok ? 0 : this.streak + 1;
    if (this.streak >= this.threshold) {
      this.open = true;
      this.openedAfter = index;
    }
  }
}
