/** Inline SVG charts for the HTML report: empirical CDF and histogram of two providers' samples. */

/** Escape text for HTML/SVG content and attribute values. */
export function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** One provider's samples and how it is drawn (dash patterns keep the chart readable without colour). */
export interface Series {
  name: string;
  values: number[];
  /** How many samples the values stand for (they may be thinned for the chart); the legend shows it. */
  n?: number;
  colour: string;
  dash: string;
  /** Fill for histogram bars: a colour or url(#pattern). */
  fill: string;
}

const W = 560;
const H = 300;
const M = { l: 80, r: 16, t: 16, b: 64 };
const PW = W - M.l - M.r;
const PH = H - M.t - M.b;

function fmt(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 10000) return `${Math.round(v / 1000)}k`;
  if (a >= 100) return String(Math.round(v));
  if (a >= 1) return String(Math.round(v * 10) / 10);
  return String(Number(v.toPrecision(2)));
}

/** Nice linear ticks (1, 2, 5 × 10^k) covering [lo, hi]. */
function linearTicks(lo: number, hi: number, n = 6): number[] {
  const span = hi - lo || Math.abs(hi) || 1;
  const raw = span / n;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((k) => k * mag).find((s) => s >= raw)!;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

/** Log ticks at 1, 2, 5 × 10^k within [lo, hi]. */
function logTicks(lo: number, hi: number): number[] {
  const out: number[] = [];
  for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) {
    for (const k of [1, 2, 5]) {
      const v = k * 10 ** e;
      if (v >= lo && v <= hi) out.push(v);
    }
  }
  return out;
}

interface Axis {
  log: boolean;
  lo: number;
  hi: number;
  x(v: number): number;
  ticks: number[];
}

/** A shared x axis; logarithmic when the samples are positive and span more than 50×, so tails stay visible. */
export function xAxis(all: number[]): Axis {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of all) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  const log = lo > 0 && hi / lo > 50;
  // A little room at both ends so the last CDF step and the extreme bars are not drawn on the frame.
  if (log) {
    const llo = Math.log10(lo) - 0.03 * Math.log10(hi / lo);
    const lhi = Math.log10(hi) + 0.03 * Math.log10(hi / lo);
    return { log, lo, hi, ticks: logTicks(lo, hi), x: (v) => M.l + ((Math.log10(Math.max(v, 10 ** llo)) - llo) / (lhi - llo)) * PW };
  }
  if (lo === hi) {
    lo = lo - 1;
    hi = hi + 1;
  }
  const ticks = linearTicks(Math.min(0, lo), hi);
  const a = Math.min(0, lo);
  const b = Math.max(hi + 0.03 * (hi - a), ticks[ticks.length - 1]!);
  return { log, lo: a, hi: b, ticks, x: (v) => M.l + ((v - a) / (b - a)) * PW };
}

const y = (p: number) => M.t + (1 - p) * PH;
const r1 = (v: number) => Math.round(v * 10) / 10;

function frame(title: string, axis: Axis, unit: string, yLabel: string, yTicks: Array<[number, string]>, body: string, series: Series[]): string {
  const xt = axis.ticks
    .map((t) => `<line x1="${r1(axis.x(t))}" y1="${M.t}" x2="${r1(axis.x(t))}" y2="${M.t + PH}" class="grid"/><text x="${r1(axis.x(t))}" y="${M.t + PH + 16}" text-anchor="middle">${esc(fmt(t))}</text>`)
    .join('');
  const yt = yTicks.map(([p, label]) => `<line x1="${M.l}" y1="${r1(y(p))}" x2="${M.l + PW}" y2="${r1(y(p))}" class="grid"/><text x="${M.l - 6}" y="${r1(y(p)) + 4}" text-anchor="end">${esc(label)}</text>`).join('');
  const legend = series
    .map((s, i) => {
      const lx = M.l + i * 200;
      const ly = H - 12;
      return `<line x1="${lx}" y1="${ly - 4}" x2="${lx + 28}" y2="${ly - 4}" stroke="${s.colour}" stroke-width="3" stroke-dasharray="${s.dash}"/><rect x="${lx + 34}" y="${ly - 11}" width="12" height="12" fill="${s.fill}" stroke="${s.colour}"/><text x="${lx + 52}" y="${ly}">${esc(s.name)} (n=${s.n ?? s.values.length})</text>`;
    })
    .join('');
  return `<svg viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${esc(title)}"><title>${esc(title)}</title>${patterns}
<rect x="${M.l}" y="${M.t}" width="${PW}" height="${PH}" class="plot"/>${xt}${yt}${body}
<line x1="${M.l}" y1="${M.t + PH}" x2="${M.l + PW}" y2="${M.t + PH}" class="axis"/><line x1="${M.l}" y1="${M.t}" x2="${M.l}" y2="${M.t + PH}" class="axis"/>
<text x="${M.l + PW / 2}" y="${M.t + PH + 34}" text-anchor="middle" class="label">${esc(unit)}${axis.log ? ' (log scale)' : ''}</text>
<text transform="translate(12 ${M.t + PH / 2}) rotate(-90)" text-anchor="middle" class="label">${esc(yLabel)}</text>${legend}</svg>`;
}

// Hatching for the second provider's bars so old/new differ in shape, not only in colour.
const patterns = `<defs><pattern id="hatch" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="6" height="6" fill="#fff"/><line x1="0" y1="0" x2="0" y2="6" stroke="#d95f02" stroke-width="3"/></pattern></defs>`;

function empty(title: string): string {
  return `<svg viewBox="0 0 ${W} 60" width="${W}" height="60" role="img" aria-label="${esc(title)}"><title>${esc(title)}</title><text x="${W / 2}" y="34" text-anchor="middle" class="label">No samples for ${esc(title)}.</text></svg>`;
}

/** Sorted copy without non-finite values. */
function sorted(v: number[]): Float64Array {
  return Float64Array.from(v.filter((x) => Number.isFinite(x))).sort();
}

/** Empirical CDF of every series on one chart; each curve is drawn through ≤ 400 quantile steps so 100k samples stay small. */
export function cdfSvg(title: string, unit: string, series: Series[]): string {
  const data = series.map((s) => sorted(s.values));
  const all = data.flatMap((d) => (d.length ? [d[0]!, d[d.length - 1]!] : []));
  if (all.length === 0) return empty(title);
  const axis = xAxis(all);
  const body = data
    .map((d, k) => {
      if (d.length === 0) return '';
      const steps = Math.min(d.length, 400);
      let path = `M${r1(axis.x(d[0]!))} ${r1(y(0))}`;
      for (let i = 1; i <= steps; i++) {
        const idx = Math.min(d.length - 1, Math.ceil((i / steps) * d.length) - 1);
        const p = (idx + 1) / d.length;
        path += `H${r1(axis.x(d[idx]!))}V${r1(y(p))}`;
      }
      const s = series[k]!;
      return `<path d="${path}" fill="none" stroke="${s.colour}" stroke-width="2" stroke-dasharray="${s.dash}"/>`;
    })
    .join('');
  const yt: Array<[number, string]> = [[0, '0'], [0.25, '0.25'], [0.5, '0.5 (p50)'], [0.75, '0.75'], [0.9, '0.9 (p90)'], [1, '1']];
  return frame(title, axis, unit, 'share of requests ≤ x', yt, body, series);
}

/** Histogram with shared bins (log-spaced when the axis is log); bar height is the share of each provider's samples. */
export function histogramSvg(title: string, unit: string, series: Series[], bins = 24): string {
  const data = series.map((s) => sorted(s.values));
  const all = data.flatMap((d) => (d.length ? [d[0]!, d[d.length - 1]!] : []));
  if (all.length === 0) return empty(title);
  const axis = xAxis(all);
  const lo = axis.log ? Math.log10(axis.lo) : Math.min(...all);
  const hi = axis.log ? Math.log10(axis.hi) : Math.max(...all);
  const width = (hi - lo) / bins || 1;
  const edge = (i: number) => (axis.log ? 10 ** (lo + i * width) : lo + i * width);
  const shares = data.map((d) => {
    const c = new Array<number>(bins).fill(0);
    for (const v of d) {
      const t = axis.log ? Math.log10(Math.max(v, axis.lo)) : v;
      c[Math.min(bins - 1, Math.max(0, Math.floor((t - lo) / width)))]!++;
    }
    return c.map((n) => (d.length ? n / d.length : 0));
  });
  const top = Math.max(...shares.flat(), 0.01) * 1.08; // headroom so the tallest bar does not touch the frame
  const ticks = linearTicks(0, top, 4).filter((t) => t <= top * 1.0001);
  const scale = (v: number) => v / top;
  let body = '';
  for (let i = 0; i < bins; i++) {
    const x0 = axis.x(edge(i));
    const x1 = axis.x(edge(i + 1));
    const bw = (x1 - x0) / series.length;
    series.forEach((s, k) => {
      const h = scale(shares[k]![i]!) * PH;
      if (h > 0) body += `<rect x="${r1(x0 + k * bw + 0.5)}" y="${r1(M.t + PH - h)}" width="${r1(Math.max(bw - 1, 0.5))}" height="${r1(h)}" fill="${s.fill}" stroke="${s.colour}" stroke-width="0.5"/>`;
    });
  }
  return frame(title, axis, unit, 'share of requests', ticks.map((t) => [scale(t), `${Math.round(t * 1000) / 10}%`]), body, series);
}
