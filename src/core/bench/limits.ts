/** Client-side limits: requests/tokens per minute, and a consecutive-failure circuit breaker. */

/**
 * A sliding-window limiter for --rpm/--tpm: `reserve` returns the earliest time (same clock as
 * `now`) a request of `tokens` may start, and books it, so concurrent callers queue in order.
 */
export class MinuteLimiter {
  private readonly events: Array<{ at: number; tokens: number }> = [];
  /** Sum of `tokens` over `events`, so checking the budget does not re-add the whole window. */
  private booked = 0;
  constructor(private readonly rpm?: number, private readonly tpm?: number) {}
  get active(): boolean {
    return !!(this.rpm || this.tpm);
  }
  reserve(now: number, tokens: number): number {
    if (!this.active) return now;
    // `now` only grows, so a booking a minute before it can never count again.
    while (this.events.length && this.events[0]!.at <= now - 60_000) this.booked -= this.events.shift()!.tokens;
    let at = now;
    // events[i…] are the bookings within a minute before the candidate time (or after it). Those
    // before stay booked: they still count for later callers whose candidate comes earlier.
    let i = 0;
    let used = this.booked;
    for (;;) {
      while (i < this.events.length && this.events[i]!.at <= at - 60_000) used -= this.events[i++]!.tokens;
      const inWindow = this.events.length - i;
      const reqOk = !this.rpm || inWindow < this.rpm;
      // A single request bigger than the whole budget still goes, alone, once the window is empty.
      const tokOk = !this.tpm || used + tokens <= this.tpm || inWindow === 0;
      if (reqOk && tokOk) break;
      at = this.events[i]!.at + 60_000;
    }
    // Keep bookings ordered by time so the window logic above stays valid.
    let j = this.events.length;
    while (j > 0 && this.events[j - 1]!.at > at) j--;
    this.events.splice(j, 0, { at, tokens });
    this.booked += tokens;
    return at;
  }
}

/** Opens after `threshold` consecutive failures; once open it stays open for the rest of the run. */
export class Breaker {
  private streak = 0;
  open = false;
  openedAfter = 0;
  /** --abort-after: failures in a row that open the breaker (undefined: never). */
  constructor(readonly threshold?: number) {}
  record(ok: boolean, index: number): void {
    if (this.open || !this.threshold) return;
    this.streak = ok ? 0 : this.streak + 1;
    if (this.streak >= this.threshold) {
      this.open = true;
      this.openedAfter = index;
    }
  }
}
