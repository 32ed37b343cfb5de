/**
 * sweep-n-threshold: the window length n (2 to 20) by the signal threshold. Every n needs its own
 * idle and trace models, every threshold its own trace models (the isolated phase's signals, hence
 * the trace models' sequences, change); each setting is trained once from the bundled captures.
 * Deepstitch and the baselines that read signals (fifo, local) at each point.
 */
import { intervalFigure } from '../../lib/plot/experiments';
import { durationOf, runsOf, type Experiment } from '../lib/experiment';
import { measure } from '../lib/measure';
import { ALL_TYPES, DEEPSTITCH, type MethodName } from '../lib/methods';
import { SUMMARY_COLUMNS, summarise, type SummaryRow } from '../lib/summary';

const NS = [2, 5, 10, 20];
const THRESHOLDS = [0.02, 0.1, 0.3];
const METHODS: readonly MethodName[] = [DEEPSTITCH, 'fifo', 'local'];

export const experiment: Experiment = {
  name: 'sweep-n-threshold',
  summary: 'window length n 2, 5, 10, 20 by threshold 0.02, 0.1, 0.3 (retrained models; c2): accuracy and stitching time',
  async run(ctx) {
    const runs = runsOf(ctx, 5);
    const ns = ctx.quick ? [2, 10] : NS;
    const thresholds = ctx.quick ? [0.1] : THRESHOLDS;
    const load = { concurrency: 2, durationS: durationOf(ctx) };
    const grid = ns.flatMap((n) => thresholds.map((threshold) => ({ n, threshold })));
    const points = grid.map(({ n, threshold }) => ({ x: `n=${n} t=${threshold}`, load, model: { scorer: ctx.scorer, n, threshold }, methods: METHODS }));
    const records = await measure(ctx, 'sweep-n-threshold', points, runs);
    const setting = new Map(grid.map((g, i) => [points[i].x, g]));
    const rows = summarise(records, ['x', 'method', 'trace_type']).map(({ x, ...r }): SummaryRow => ({ ...setting.get(x as string)!, ...r }));
    const pooled = (method: MethodName) => rows.filter((r) => r.trace_type === ALL_TYPES && r.method === method).map((r) => ({ ...r, series: `threshold ${r.threshold}` }));
    const line = (method: MethodName, y: string, yTitle: string, fraction: boolean) => intervalFigure({
      rows: pooled(method), x: 'n', series: 'series', y, ...(fraction ? { lo: `${y}_lo`, hi: `${y}_hi` } : {}), mode: 'lines', fraction,
      title: `${method}: ${yTitle} by n (all trace types; runs per point: ${runs})`, source: 'simulated', xTitle: 'window length n', yTitle,
    });
    return {
      title: 'Sweep of the window length n by the signal threshold',
      text: `At each (n, threshold) the idle models (n) and the trace models (n, threshold) are trained from the bundled captures (scorer ${ctx.scorer}), then ${runs} simulated live captures (concurrency 2, ${load.durationS} s) are stitched by ${METHODS.join(', ')}. Accuracy per trace with 95% t-intervals over captures ("all" pools the trace types); seconds is the stitching time of one capture, training excluded (a shared machine: indicative only).`,
      settings: { runs, ns, thresholds, ...load, scorer: ctx.scorer, seed: ctx.seed, methods: METHODS },
      columns: ['n', 'threshold', 'method', 'trace_type', ...SUMMARY_COLUMNS],
      rows,
      figures: [
        line(DEEPSTITCH, 'acc_thread', 'accuracy per trace (thread)', true),
        line(DEEPSTITCH, 'acc_process', 'accuracy per trace (process)', true),
        line('local', 'acc_thread', 'accuracy per trace (thread)', true),
        line(DEEPSTITCH, 'seconds', 'stitching time per capture (s)', false),
      ],
    };
  },
};
