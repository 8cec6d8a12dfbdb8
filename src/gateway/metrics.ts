/** Prometheus metrics for /metrics. STUB: replaced by the metrics helper (prom-client). */
export interface GatewayMetrics {
  /** One finished request. */
  request(o: { tenant: string; provider: string; status: number; code?: string; seconds: number; ttftSeconds?: number; fallback: boolean }): void;
  tokens(o: { tenant: string; provider: string; input: number; output: number }): void;
  /** Named counters: ledger_lost_rows, shadow_dropped, store_down, ... */
  count(name: string, labels?: Record<string, string>, by?: number): void;
  gauge(name: string, value: number, labels?: Record<string, string>): void;
  text(): Promise<string>;
  contentType: string;
}
export function createMetrics(): GatewayMetrics {
  return { request() {}, tokens() {}, count() {}, gauge() {}, text: async () => '', contentType: 'text/plain; version=0.0.4; charset=utf-8' };
}
