/**
 * A dispatcher wrapper that notes, on a given clock, when each request is dispatched and when its
 * response bytes arrive — so a client that only sees parsed chunks (the openai SDK in verify) can
 * time TTFT the way bench does: dispatch → arrival of the bytes carrying the first output.
 */
import type { Dispatcher } from 'undici';

export interface WireTimes {
  /** When the latest request was dispatched (NaN before any). */
  sentAt: number;
  /** When the latest response bytes arrived (NaN before any). */
  lastByteAt: number;
}

/** `base` with every request's dispatch and data callbacks stamped into `times` (old and new handler APIs). */
export function timedDispatcher(base: Dispatcher, clock: () => number, times: WireTimes): Dispatcher {
  const dispatch = (opts: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): boolean => {
    const h = handler as Record<string, unknown>;
    const wrapped = new Proxy(h, {
      get(target, prop, recv) {
        const v = Reflect.get(target, prop, recv);
        if ((prop === 'onData' || prop === 'onResponseData') && typeof v === 'function') {
          return (...args: unknown[]) => {
            times.lastByteAt = clock();
            return (v as (...a: unknown[]) => unknown).apply(target, args);
          };
        }
        return v;
      },
    });
    times.sentAt = clock();
    return base.dispatch(opts, wrapped as Dispatcher.DispatchHandler);
  };
  return new Proxy(base, { get: (t, p, r) => (p === 'dispatch' ? dispatch : Reflect.get(t, p, r)) });
}
