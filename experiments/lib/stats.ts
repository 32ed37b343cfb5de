/**
 * Means and 95% confidence intervals over repeated experiments: the t-interval mean ± t(0.975,
 * k-1)·s/√k over k runs, each run one number (an accuracy of that run's traces).
 */

/** A mean with its 95% interval; lo and hi are null below two values (no spread to estimate). */
export interface Interval {
  mean: number;
  lo: number | null;
  hi: number | null;
  /** Values it is computed over. */
  n: number;
}

/** Student's t 0.975 quantiles for 1..30 degrees of freedom (standard tables). */
const T975_SMALL = [
  12.7062, 4.3027, 3.1824, 2.7764, 2.5706, 2.4469, 2.3646, 2.306, 2.2622, 2.2281, 2.201, 2.1788, 2.1604, 2.1448, 2.1314,
  2.1199, 2.1098, 2.1009, 2.093, 2.086, 2.0796, 2.0739, 2.0687, 2.0639, 2.0595, 2.0555, 2.0518, 2.0484, 2.0452, 2.0423,
];

/**
 * t(0.975, df): the table up to df = 30, beyond it the Cornish–Fisher expansion of t around the
 * normal quantile (Abramowitz & Stegun 26.7.5), within 1e-5 there.
 */
export function t975(df: number): number {
  if (!Number.isInteger(df) || df < 1) throw new Error(`t975: degrees of freedom must be a positive integer, got ${df}`);
  if (df <= T975_SMALL.length) return T975_SMALL[df - 1];
  const z = 1.959963984540054;
  const g1 = (z ** 3 + z) / 4;
  const g2 = (5 * z ** 5 + 16 * z ** 3 + 3 * z) / 96;
  const g3 = (3 * z ** 7 + 19 * z ** 5 + 17 * z ** 3 - 15 * z) / 384;
  return z + g1 / df + g2 / df ** 2 + g3 / df ** 3;
}

/**
 * Mean and 95% t-interval of the finite values (NaN ones, runs without evidence, are left out),
 * clipped to [min, max] (accuracies cannot leave [0, 1]; an unclipped interval would).
 * NaN mean when no value is finite.
 */
export function tInterval(values: readonly number[], min = 0, max = 1): Interval {
  const xs = values.filter((v) => Number.isFinite(v));
  const n = xs.length;
  if (n === 0) return { mean: NaN, lo: null, hi: null, n };
  const mean = xs.reduce((s, x) => s + x, 0) / n;
  if (n < 2) return { mean, lo: null, hi: null, n };
  const sd = Math.sqrt(xs.reduce((s, x) => s + (x - mean) ** 2, 0) / (n - 1));
  const half = (t975(n - 1) * sd) / Math.sqrt(n);
  return { mean, lo: Math.max(min, mean - half), hi: Math.min(max, mean + half), n };
}

/** The plain mean of the finite values (NaN when none). */
export function mean(values: readonly number[]): number {
  return tInterval(values, -Infinity, Infinity).mean;
}
