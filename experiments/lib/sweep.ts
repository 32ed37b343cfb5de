/**
 * A sweep: one knob of the live captures over some values, every method at each value, accuracy
 * (per trace, all trace types pooled and per type) with 95% CIs and stitching time per point.
 */
import { intervalFigure } from '../../lib/plot/experiments';
import { durationOf, runsOf, type Experiment } from './experiment';
import type { LoadOptions } from './live';
import { measure } from './measure';
import { ALL_TYPES, METHODS, type MethodName } from './methods';
import { defaultModel } from './models';
import { SUMMARY_COLUMNS, summarise } from './summary';

/** What differs between sweeps. */
export interface SweepSpec {
  name: string;
  summary: string;
  /** The knob's name on the axis and in the rows. */
  axis: string;
  values: readonly number[];
  quickValues: readonly number[];
  /** The load at a value (concurrency 2 and the experiment's duration unless it sets them). */
  load: (value: number, base: LoadOptions) => LoadOptions;
  /** What the sweep shows (first paragraph of its text). */
  about: string;
  methods?: readonly MethodName[];
  runs?: number;
  logX?: boolean;
}

/** The experiment of a sweep. */
export function sweepExperiment(spec: SweepSpec): Experiment {
  return {
    name: spec.name,
    summary: spec.summary,
    async run(ctx) {
      const runs = runsOf(ctx, spec.runs ?? 5);
      const values = ctx.quick ? spec.quickValues : spec.values;
      const base = { concurrency: 2, durationS: durationOf(ctx) };
      const model = defaultModel(ctx);
      const methods = spec.methods ?? METHODS;
      const points = values.map((v) => ({ x: v, load: spec.load(v, base), model, methods }));
      const records = await measure(ctx, spec.name, points, runs);
      const rows = summarise(records, ['x', 'method', 'trace_type']).map(({ x, ...r }) => ({ [spec.axis]: x, ...r }));
      const pooled = rows.filter((r) => r.trace_type === ALL_TYPES);
      const line = (y: string, yTitle: string, fraction: boolean, interval: boolean) => intervalFigure({
        rows: pooled, x: spec.axis, series: 'method', y, ...(interval ? { lo: `${y}_lo`, hi: `${y}_hi` } : {}), mode: 'lines', fraction, logX: spec.logX,
        title: `${yTitle} by ${spec.axis} (all trace types; runs per point: ${runs})`, source: 'simulated', xTitle: spec.axis, yTitle,
      });
      return {
        title: `Sweep of ${spec.axis}`,
        text: `${spec.about}\n\nAt each ${spec.axis} (${values.join(', ')}): ${runs} simulated live captures of ${base.durationS} s, each stitched by ${methods.join(', ')} with the models of the bundled captures (scorer ${model.scorer}, n = ${model.n}, threshold = ${model.threshold}). Accuracy per trace with 95% t-intervals over captures; trace_type "all" pools every trace of a capture, the other rows are per trace type. seconds is the stitching time of one capture (a shared machine: indicative only).`,
        settings: { runs, values, ...base, ...model, seed: ctx.seed, methods },
        columns: [spec.axis, 'method', 'trace_type', ...SUMMARY_COLUMNS],
        rows,
        figures: [line('acc_thread', 'accuracy per trace (thread)', true, true), line('acc_process', 'accuracy per trace (process)', true, true), line('seconds', 'stitching time per capture (s)', false, false)],
      };
    },
  };
}
