/**
 * baselines: Deepstitch beside every baseline (lib/stitch/baselines: random, overlap, fifo,
 * tid-keying, local) for every trace type, on the same live captures as table2-100 (concurrency 2,
 * the same seed and run numbers give the same captures).
 */
import { intervalFigure } from '../../lib/plot/experiments';
import { durationOf, runsOf, type Experiment } from '../lib/experiment';
import { measure } from '../lib/measure';
import { METHODS } from '../lib/methods';
import { defaultModel } from '../lib/models';
import { SUMMARY_COLUMNS, summarise } from '../lib/summary';

export const experiment: Experiment = {
  name: 'baselines',
  summary: 'Deepstitch beside random, overlap, fifo, tid-keying and local baselines per trace type (c2 live captures, 95% CIs)',
  async run(ctx) {
    const runs = runsOf(ctx, 20);
    const load = { concurrency: 2, durationS: durationOf(ctx) };
    const model = defaultModel(ctx);
    const records = await measure(ctx, 'baselines', [{ x: 'c2', load, model, methods: METHODS }], runs);
    const rows = summarise(records, ['method', 'trace_type']);
    const figure = (level: 'process' | 'thread') => intervalFigure({
      rows, x: 'trace_type', series: 'method', y: `acc_${level}`, lo: `acc_${level}_lo`, hi: `acc_${level}_hi`, mode: 'bars', fraction: true,
      title: `Deepstitch and baselines, ${level} level, ${runs} captures (c2), 95% CI`, source: 'simulated', xTitle: 'trace type', yTitle: `accuracy per trace (${level})`,
    });
    return {
      title: 'Deepstitch against the baselines',
      text: [
        `${runs} simulated live captures (concurrency 2, ${load.durationS} s; the captures of table2-100 with the same seed), each stitched by Deepstitch (scorer ${model.scorer}, n = ${model.n}, threshold = ${model.threshold}) and by each baseline; accuracy per trace with the 95% t-interval over captures, "all" pooling every trace of a capture.`,
        'Baselines: random = a seeded pick among the span\'s active threads; overlap = the thread with the most syscalls inside the span; fifo = the first idle-to-active transition after the span starts; tid-keying = the thread that first receives inside the request\'s entry span, kept for every span below it in the same service (a deterministic eBPF tracer without runtime context propagation); local = per-service idle models only (most signal syscalls inside the span), no profile, no global sequence. seconds: stitching time per capture; for random, fifo and local it includes detecting the signal syscalls with the idle models.',
      ].join('\n\n'),
      settings: { runs, ...load, ...model, seed: ctx.seed },
      columns: ['method', 'trace_type', ...SUMMARY_COLUMNS],
      rows,
      figures: [figure('thread'), figure('process')],
    };
  },
};
