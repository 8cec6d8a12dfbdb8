/**
 * Quality aggregated as the run goes: counts and sums only (a few numbers, whatever the run's
 * length), so a long --duration run keeps no per-pair scores. Every figure of QualitySummary is a
 * mean or a rate, so the running sums give exactly what summariseQuality gives over all scores.
 */
import type { PairScores, QualitySummary } from './compare.js';

export class QualityTally {
  pairs = 0;
  private sim = 0;
  private above = 0;
  private exact = 0;
  private f1 = 0;
  private rougeL = 0;
  private finish = 0;
  private length = 0;
  private json = { n: 0, validA: 0, validB: 0, equal: 0 };
  private tools = { n: 0, names: 0, args: 0 };
  constructor(readonly threshold: number) {}

  add(s: PairScores): void {
    this.pairs++;
    this.sim += s.similarity;
    if (s.similarity >= this.threshold) this.above++;
    if (s.exact) this.exact++;
    this.f1 += s.tokenF1;
    this.rougeL += s.rougeL;
    if (s.finishParity) this.finish++;
    this.length += s.lengthRatio;
    if (s.json) {
      this.json.n++;
      if (s.json.validA) this.json.validA++;
      if (s.json.validB) this.json.validB++;
      if (s.json.equal) this.json.equal++;
    }
    if (s.tools) {
      this.tools.n++;
      if (s.tools.namesEqual) this.tools.names++;
      if (s.tools.argsEqual) this.tools.args++;
    }
  }

  /** The summary (as summariseQuality); undefined when no pair was scored. */
  summary(): QualitySummary | undefined {
    const n = this.pairs;
    if (n === 0) return undefined;
    const s: QualitySummary = {
      pairs: n,
      meanSimilarity: this.sim / n,
      shareAboveThreshold: this.above / n,
      threshold: this.threshold,
      exactRate: this.exact / n,
      meanTokenF1: this.f1 / n,
      meanRougeL: this.rougeL / n,
      finishParityRate: this.finish / n,
      meanLengthRatio: this.length / n,
    };
    const j = this.json;
    if (j.n > 0) {
      s.jsonValidRate = { old: j.validA / j.n, new: j.validB / j.n };
      s.jsonEqualRate = j.equal / j.n;
    }
    if (this.tools.n > 0) {
      s.toolNameMatchRate = this.tools.names / this.tools.n;
      s.toolArgsMatchRate = this.tools.args / this.tools.n;
    }
    return s;
  }
}
