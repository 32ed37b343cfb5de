/**
 * The thresholds figure: how an idle model scores the syscalls of idle threads and of threads
 * serving requests, with the threshold under which a syscall is a signal syscall (paper §4.2).
 */
import type { FigureSource, Figure, Trace } from './spec';
import { ALERT, PALETTE, figureTitle } from './spec';

/** Inputs of {@link thresholdsFigure}. */
export interface ThresholdsInput {
  /** Idle-model scores (probability of the syscall that came) of syscalls from an idle capture; NaN = unscored. */
  idle: ArrayLike<number>;
  /** Scores of syscalls of threads serving requests. */
  active: ArrayLike<number>;
  /** Scores below it mark signal syscalls. */
  threshold: number;
  source: FigureSource;
  /** The service whose idle model scored them, for the title. */
  service?: string;
  /** Histogram bins over the score range (default 50). */
  bins?: number;
}

/** A histogram of finite scores over shared bins [lo, hi): counts, and the NaN count. */
interface Histogram {
  counts: number[];
  n: number;
  unscored: number;
  below: number;
}

function histogram(scores: ArrayLike<number>, lo: number, width: number, bins: number, threshold: number): Histogram {
  const counts = new Array<number>(bins).fill(0);
  let n = 0;
  let below = 0;
  for (let i = 0; i < scores.length; i++) {
    const s = scores[i];
    if (!Number.isFinite(s)) continue;
    n++;
    if (s < threshold) below++;
    counts[Math.min(bins - 1, Math.floor((s - lo) / width))]++;
  }
  return { counts, n, unscored: scores.length - n, below };
}

function finiteExtent(arrays: ArrayLike<number>[]): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const a of arrays) {
    for (let i = 0; i < a.length; i++) {
      if (!Number.isFinite(a[i])) continue;
      lo = Math.min(lo, a[i]);
      hi = Math.max(hi, a[i]);
    }
  }
  return [lo, hi];
}

/**
 * Overlaid histograms (log-scale counts) of idle-model scores for idle and for active syscalls,
 * with a dashed vertical line at the threshold. Scores are binned here, so the spec stays small
 * however many syscalls there are; unscored (NaN) syscalls are left out and counted in the legend.
 */
export function thresholdsFigure(input: ThresholdsInput): Figure {
  const bins = input.bins ?? 50;
  if (!Number.isInteger(bins) || bins < 1) throw new Error(`thresholdsFigure: bins must be a positive integer, got ${bins}`);
  const [min, max] = finiteExtent([input.idle, input.active]);
  // Scores are probabilities: bin [0, 1] unless some lie outside it.
  const lo = Math.min(0, min, input.threshold);
  const hi = Math.max(1, max, input.threshold);
  const width = (hi - lo) / bins;
  const centres = Array.from({ length: bins }, (_, i) => lo + (i + 0.5) * width);
  const bar = (name: string, scores: ArrayLike<number>, colour: string): Trace => {
    const h = histogram(scores, lo, width, bins, input.threshold);
    const pct = h.n === 0 ? 0 : (100 * h.below) / h.n;
    const note = h.unscored > 0 ? `, ${h.unscored} unscored left out` : '';
    return {
      type: 'bar',
      name: `${name} (n=${h.n}, ${pct.toFixed(1)}% below threshold${note})`,
      x: centres,
      y: h.counts,
      width,
      opacity: 0.6,
      marker: { color: colour },
      hovertemplate: 'score %{x:.3f}: %{y} syscalls<extra></extra>',
    };
  };
  const service = input.service === undefined ? '' : ` of ${input.service}`;
  return {
    data: [bar('idle syscalls', input.idle, PALETTE[0]), bar('active syscalls', input.active, PALETTE[1])],
    layout: {
      title: figureTitle(`Idle-model scores${service}: idle vs active syscalls`, input.source),
      barmode: 'overlay',
      bargap: 0,
      xaxis: { title: { text: 'idle-model score (probability of the syscall that came)' }, range: [lo, hi] },
      yaxis: { title: { text: 'syscalls (log scale)' }, type: 'log' },
      shapes: [{ type: 'line', xref: 'x', yref: 'paper', x0: input.threshold, x1: input.threshold, y0: 0, y1: 1, line: { color: ALERT, width: 2, dash: 'dash' } }],
      annotations: [{ xref: 'x', yref: 'paper', x: input.threshold, y: 1, yanchor: 'bottom', text: `threshold ${input.threshold}`, showarrow: false, font: { color: ALERT } }],
      legend: { orientation: 'h', y: -0.2 },
    },
  };
}
