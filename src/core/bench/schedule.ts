/** Load schedules: when each pair is meant to be sent (closed loop has none: it sends on completion). */
import { exponential, mulberry32 } from '../rng.js';

export type LoadMode = { kind: 'closed'; concurrency: number } | { kind: 'open'; rate: number; seed: number } | { kind: 'replay'; speed: number };

/**
 * Poisson arrivals: offsets (ms from the start) with exponential gaps of mean 1000/rate,
 * so the long-run mean rate is `rate` per second and arrivals are independent of responses.
 */
export function* poissonOffsets(rate: number, seed: number): Generator<number, never> {
  const rand = mulberry32(seed);
  const mean = 1000 / rate;
  let t = 0;
  for (;;) {
    t += exponential(rand, mean);
    yield t;
  }
}

/** Replay offsets: recorded timestamps relative to the first one, divided by the speed-up. */
export class ReplayClock {
  private t0: number | undefined;
  constructor(private readonly speed: number) {}
  offset(recordedAt: number): number {
    this.t0 ??= recordedAt;
    return Math.max(0, (recordedAt - this.t0) / this.speed);
  }
}
