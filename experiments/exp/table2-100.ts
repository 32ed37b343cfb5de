/**
 * table2-100: the paper's protocol for Table 2, 100 experiments per trace type. The models are
 * trained once from the bundled idle and isolated captures; each experiment is a seeded simulated
 * live capture (concurrency 2, 0.5 s) stitched by Deepstitch; per trace type the mean accuracy over
 * the experiments with its 95% t-interval, per trace (every span right, as Table 2) at process and
 * thread level, beside the paper's.
 */
import { PAPER_TABLE2 } from '../../lib/stitch/index';
import { intervalFigure } from '../../lib/plot/experiments';
import { durationOf, runsOf, type Experiment } from '../lib/experiment';
import { measure } from '../lib/measure';
import { DEEPSTITCH } from '../lib/methods';
import { defaultModel } from '../lib/models';
import { SUMMARY_COLUMNS, summarise, type SummaryRow } from '../lib/summary';

export const experiment: Experiment = {
  name: 'table2-100',
  summary: "Table 2 by the paper's protocol: 100 live captures (c2), mean accuracy per trace type with 95% CIs, process and thread level",
  async run(ctx) {
    const runs = runsOf(ctx, 100);
    const load = { concurrency: 2, durationS: durationOf(ctx) };
    const model = defaultModel(ctx);
    const records = await measure(ctx, 'table2-100', [{ x: 'c2', load, model, methods: [DEEPSTITCH] }], runs);
    const rows = summarise(records, ['trace_type']).map((r): SummaryRow => {
      const paper = PAPER_TABLE2.find((p) => p.trace_type === r.trace_type);
      return { ...r, paper_services: paper?.services ?? null, paper_acc: paper?.acc ?? null };
    });
    const long = rows.filter((r) => r.trace_type !== 'all').flatMap((r) => [
      { trace_type: r.trace_type, series: 'Deepstitch, process level', acc: r.acc_process, lo: r.acc_process_lo, hi: r.acc_process_hi },
      { trace_type: r.trace_type, series: 'Deepstitch, thread level', acc: r.acc_thread, lo: r.acc_thread_lo, hi: r.acc_thread_hi },
      { trace_type: r.trace_type, series: "paper's Table 2", acc: r.paper_acc, lo: null, hi: null },
    ]);
    return {
      title: `Table 2 over ${runs} experiments`,
      text: `Each experiment is one simulated live capture (concurrency 2, ${load.durationS} s, its own random stream) stitched by Deepstitch with models trained once from the bundled idle and isolated captures (scorer ${model.scorer}, n = ${model.n}, threshold = ${model.threshold}). Accuracy is per trace (a trace is right when every span is stitched to the right process, or thread), averaged over the experiments that had a trace of the type, with the 95% t-interval over experiments (clipped to [0, 1]); "all" pools every trace of an experiment. span_acc_* are per span; seconds is the mean stitching time of one capture (a shared machine: indicative only). The paper's accuracy is its Table 2 (real Sock Shop, process level).`,
      settings: { runs, ...load, ...model, seed: ctx.seed },
      columns: ['trace_type', ...SUMMARY_COLUMNS, 'paper_services', 'paper_acc'],
      rows,
      figures: [intervalFigure({ rows: long, x: 'trace_type', series: 'series', y: 'acc', lo: 'lo', hi: 'hi', mode: 'bars', fraction: true, title: `Accuracy per trace type, mean of ${runs} experiments with 95% CI`, source: 'simulated', xTitle: 'trace type', yTitle: 'accuracy per trace' })],
    };
  },
};
