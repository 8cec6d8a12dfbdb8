/** Network probe: DNS, TCP connect and TLS handshake timed separately, so a failure names its phase. */
import { connect as netConnect, isIP, type Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';

/** A resolver (injectable so tests need no real DNS). */
export type Lookup = (host: string) => Promise<{ address: string; family: number }>;

export interface ProbeResult {
  ok: boolean;
  /** host:port actually connected to (the proxy when one applies). */
  target: string;
  proxy?: string;
  address?: string;
  dnsMs?: number;
  connectMs?: number;
  tlsMs?: number;
  totalMs: number;
  /** TLS protocol negotiated, e.g. TLSv1.3. */
  tlsVersion?: string;
  error?: { phase: 'dns' | 'connect' | 'tls'; code?: string; message: string; timedOut?: boolean };
}

interface ProbeOptions {
  timeoutMs: number;
  clock: () => number;
  /** The proxy URL that applies (from makeHttp().proxyFor); the probe then stops at the proxy. */
  proxy?: string;
  /** Proxy URL with credentials, to connect to; `proxy` is only for display. */
  proxyConnect?: string;
  lookup?: Lookup;
  signal?: AbortSignal;
}

class PhaseError extends Error {
  constructor(
    readonly phase: 'dns' | 'connect' | 'tls',
    readonly code: string | undefined,
    message: string,
    readonly timedOut = false,
  ) {
    super(message);
  }
}

function withTimeout<T>(p: Promise<T>, ms: number, phase: PhaseError['phase'], onTimeout: () => void, signal?: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const abort = () => {
      clearTimeout(t);
      onTimeout();
      reject(new PhaseError(phase, 'ABORT_ERR', `${phase} was interrupted`));
    };
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', abort);
      onTimeout();
      reject(new PhaseError(phase, 'ETIMEDOUT', `${phase} did not finish within ${ms} ms`, true));
    }, ms);
    if (signal?.aborted) return abort();
    signal?.addEventListener('abort', abort, { once: true });
    const done = () => (clearTimeout(t), signal?.removeEventListener('abort', abort));
    p.then(
      (v) => (done(), resolve(v)),
      (e) => (done(), reject(e)),
    );
  });
}

// dns and tls are loaded when needed: a loopback http probe (the common test and bench case) needs neither.
const defaultLookup: Lookup = async (host) => (await import('node:dns/promises')).lookup(host);

/** Probe `url` (a base URL): never throws; the result says which phase failed and why. */
export async function probeNetwork(url: string, o: ProbeOptions): Promise<ProbeResult> {
  const start = o.clock();
  const u = new URL(o.proxyConnect ?? url);
  const tls = u.protocol === 'https:';
  const host = u.hostname.replace(/^\[|\]$/g, '');
  const port = Number(u.port || (tls ? 443 : 80));
  const res: ProbeResult = { ok: false, target: `${u.hostname}:${port}`, totalMs: 0, ...(o.proxy ? { proxy: o.proxy } : {}) };
  let socket: Socket | undefined;
  try {
    let address = host;
    if (!isIP(host)) {
      const t = o.clock();
      const r = await withTimeout(
        (o.lookup ?? defaultLookup)(host).catch((e: NodeJS.ErrnoException) => {
          throw new PhaseError('dns', e.code, e.message);
        }),
        o.timeoutMs,
        'dns',
        () => {},
        o.signal,
      );
      address = r.address;
      res.dnsMs = o.clock() - t;
    } else {
      res.dnsMs = 0;
    }
    res.address = address;
    const t1 = o.clock();
    let pending: Socket | undefined;
    socket = await withTimeout(
      new Promise<Socket>((resolve, reject) => {
        const s = (pending = netConnect({ host: address, port }));
        s.once('connect', () => resolve(s));
        s.on('error', (e: NodeJS.ErrnoException) => reject(new PhaseError('connect', e.code, e.message)));
      }),
      o.timeoutMs,
      'connect',
      () => pending?.destroy(),
      o.signal,
    );
    res.connectMs = o.clock() - t1;
    if (tls) {
      const { connect: tlsConnect } = await import('node:tls');
      const t2 = o.clock();
      const raw: Socket = socket;
      const secure = await withTimeout(
        new Promise<TLSSocket>((resolve, reject) => {
          const s = tlsConnect({ socket: raw, servername: isIP(host) ? undefined : host, ALPNProtocols: ['http/1.1'] });
          s.once('secureConnect', () => resolve(s));
          s.on('error', (e: NodeJS.ErrnoException) => reject(new PhaseError('tls', e.code, e.message)));
        }),
        o.timeoutMs,
        'tls',
        () => raw.destroy(),
        o.signal,
      );
      res.tlsMs = o.clock() - t2;
      res.tlsVersion = secure.getProtocol() ?? undefined;
      secure.destroy();
    }
    res.ok = true;
  } catch (e) {
    const pe = e instanceof PhaseError ? e : new PhaseError('connect', (e as NodeJS.ErrnoException).code, (e as Error).message);
    res.error = { phase: pe.phase, code: pe.code, message: pe.message, ...(pe.timedOut ? { timedOut: true } : {}) };
  } finally {
    socket?.destroy();
    res.totalMs = o.clock() - start;
  }
  return res;
}
