/** What the cutover parts (canary, shadow, recorder, admin) share: the log, notify and upstream seams (docs/cutover.md). */
import type { Dispatcher } from 'undici';
import type { Untrusted } from '../../core/untrusted.js';

/** One structured log line (the gateway writes it as JSON on stderr): never a prompt, never a key. */
export type CutoverLog = (level: 'info' | 'warn' | 'error', event: string, fields?: Record<string, unknown>) => void;

/** The webhook body of `migrate --notify`: Slack-compatible `text` plus holy's details. */
export interface NotifyBody {
  text: string;
  holy: Record<string, unknown>;
}
/** Deliver a notification; failures are the sender's to report (never thrown into the gateway). */
export type Notify = (body: NotifyBody) => Promise<unknown> | void;

/** An upstream the shadow can call: the provider's own base URL and key (never the client's). */
export interface Upstream {
  baseURL: string;
  key?: string;
  headers?: Record<string, string>;
  dispatcher: Dispatcher;
  timeoutMs: number;
  maxBytes?: number;
  untrusted?: Untrusted;
}

/** Named upstreams (a Map works). */
export interface Upstreams {
  get(name: string): Upstream | undefined;
}

/** Metrics the cutover parts count into (GatewayMetrics satisfies it). */
export interface CutoverMetrics {
  count(name: string, labels?: Record<string, string>, by?: number): void;
  gauge(name: string, value: number, labels?: Record<string, string>): void;
}
