/** The run header every bench output carries: who was compared (names and hosts), how, on what, when, by which holy. Pure. */
import type { LoadMode } from './schedule.js';

export interface RunSide {
  name: string;
  /** host[:port] of the base URL; null for --old recorded. */
  host: string | null;
  /** holy mock answered for this side (its x-holy-mock header, or recorded answers it made). */
  simulated: boolean;
}

export interface RunHeader {
  old: RunSide;
  new: RunSide;
  load: LoadMode;
  /** The load in words, e.g. "closed loop, concurrency 4". */
  loadText: string;
  seed: number;
  warmup: number;
  stream: 'on' | 'off' | 'as-recorded';
  traffic: Array<{ file: string; format: string; items: number }>;
  /** Measured pairs (warm-up excluded). */
  pairs: number;
  startedAt: string;
  endedAt: string;
  holyVersion: string;
  /** Either side is holy mock: every output says SIMULATED. */
  simulated: boolean;
}

/** The load mode in words. */
export function loadText(l: LoadMode): string {
  return l.kind === 'closed' ? `closed loop, concurrency ${l.concurrency}` : l.kind === 'open' ? `open loop, Poisson ${l.rate}/s (seed ${l.seed})` : `recorded timing ×${l.speed}`;
}

/** host[:port] of a base URL, printable (null when it does not parse). */
export function hostOf(baseURL: string | undefined): string | null {
  if (!baseURL) return null;
  try {
    return new URL(baseURL.trim()).host.replace(/[^\x21-\x7e]/g, '') || null;
  } catch {
    return null;
  }
}

/** Who was simulated, in words, or undefined when neither side was. */
export function simulatedText(h: Pick<RunHeader, 'old' | 'new'>): string | undefined {
  const sides = [h.old, h.new].filter((s) => s.simulated).map((s) => s.name);
  if (!sides.length) return undefined;
  return `SIMULATED: ${sides.join(' and ')} ${sides.length > 1 ? 'are' : 'is'} holy mock, a local simulator; these figures say nothing about a real provider.`;
}

/** The header as label/value lines (terminal notes and the HTML report). */
export function headerLines(h: RunHeader): Array<[string, string]> {
  const side = (s: RunSide) => `${s.name}${s.host ? ` (${s.host})` : s.name === 'recorded' ? ' (recorded responses)' : ''}${s.simulated ? ' — SIMULATED' : ''}`;
  return [
    ['old', side(h.old)],
    ['new', side(h.new)],
    ['load', `${h.loadText}; stream ${h.stream}; seed ${h.seed}; warm-up ${h.warmup}`],
    ['traffic', h.traffic.map((f) => `${f.file} (${f.format}, ${f.items})`).join(', ') + `; ${h.pairs} pair(s) measured`],
    ['time', `${h.startedAt} → ${h.endedAt}`],
    ['holy', h.holyVersion],
  ];
}
