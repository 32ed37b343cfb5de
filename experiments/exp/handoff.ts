/**
 * handoff: accuracy per span separately for spans whose work stays on the thread that received the
 * request, moves to another thread of a pool, or runs on a thread started for it (orders' @Async),
 * where deterministic eBPF tracers that key requests by thread are known to fail. The categories
 * come from the simulator's truth and runtime models (experiments/lib/handoff.ts says how); no
 * method reads them. Same live captures as table2-100 and baselines (concurrency 2).
 */
import { intervalFigure } from '../../lib/plot/experiments';
import { durationOf, runsOf, type Experiment } from '../lib/experiment';
import { HANDOFF_CATEGORIES, handoffCategories, spanRef } from '../lib/handoff';
import { liveCapture } from '../lib/live';
import { METHODS, runMethods } from '../lib/methods';
import { bundledModels, defaultModel } from '../lib/models';
import { tInterval } from '../lib/stats';

/** One method's per-span accuracy on one category of one capture. */
interface CategoryRecord {
  method: string;
  category: string;
  spans: number;
  acc_process: number | null;
  acc_thread: number | null;
}

export const experiment: Experiment = {
  name: 'handoff',
  summary: 'accuracy per span by hand-off category: one thread, thread pool, new thread (@Async), from the simulator truth (c2)',
  async run(ctx) {
    const runs = runsOf(ctx, 10);
    const load = { concurrency: 2, durationS: durationOf(ctx) };
    const model = defaultModel(ctx);
    const records: CategoryRecord[] = [];
    for (let run = 1; run <= runs; run++) {
      ctx.onProgress({ step: 'handoff', done: run - 1, total: runs, unit: 'runs', detail: `run ${run}` });
      records.push(...await ctx.store.get(`run=${run}`, { load, model, methods: METHODS, seed: ctx.seed, run }, async () => {
        const models = await bundledModels(model, ctx.onProgress, ctx.log);
        const live = liveCapture(models.deploymentSeed, ctx.seed, run, load);
        const categories = handoffCategories(live);
        return (await runMethods(live, models, METHODS, ctx.seed * 1000 + run)).flatMap((m) => categoryRecords(m.method, m.evaluation.spans.objects() as SpanOk[], categories));
      }));
    }
    ctx.onProgress({ step: 'handoff', done: runs, total: runs, unit: 'runs' });
    const rows = METHODS.flatMap((method) => HANDOFF_CATEGORIES.map((category) => {
      const mine = records.filter((r) => r.method === method && r.category === category && r.spans > 0);
      const p = tInterval(mine.map((r) => r.acc_process ?? NaN));
      const t = tInterval(mine.map((r) => r.acc_thread ?? NaN));
      return {
        method, category, runs: mine.length, spans: mine.reduce((s, r) => s + r.spans, 0),
        span_acc_process: p.mean, span_acc_process_lo: p.lo, span_acc_process_hi: p.hi,
        span_acc_thread: t.mean, span_acc_thread_lo: t.lo, span_acc_thread_hi: t.hi,
      };
    })).filter((r) => r.spans > 0);
    const figure = (level: 'thread' | 'process') => intervalFigure({
      rows, x: 'category', series: 'method', y: `span_acc_${level}`, lo: `span_acc_${level}_lo`, hi: `span_acc_${level}_hi`, mode: 'bars', fraction: true,
      title: `Accuracy per span by hand-off category (${level} level, ${runs} captures, 95% CI)`, source: 'simulated', xTitle: 'hand-off category', yTitle: `accuracy per span (${level})`,
    });
    return {
      title: 'Accuracy by hand-off category',
      text: [
        `${runs} simulated live captures (concurrency 2, ${load.durationS} s; the captures of table2-100 and baselines with the same seed), stitched by every method (scorer ${model.scorer}, n = ${model.n}, threshold = ${model.threshold}); accuracy per span, mean over captures with the 95% t-interval.`,
        "Categories, from the simulator's truth and runtime models (evaluation only): a span's key is the thread of its true process that first receives in its window (the thread a tid-keying eBPF tracer charges the request to), inherited by the spans below it in the same service. one thread: the serving thread is the key; new thread: the serving thread was started for the work (orders' @Async threads); thread pool: another thread served it (a goroutine resumed on another M, a worker pool); no receive: no thread of its process received in its window.",
      ].join('\n\n'),
      settings: { runs, ...load, ...model, seed: ctx.seed, methods: METHODS },
      columns: ['method', 'category', 'runs', 'spans', 'span_acc_process', 'span_acc_process_lo', 'span_acc_process_hi', 'span_acc_thread', 'span_acc_thread_lo', 'span_acc_thread_hi'],
      rows,
      figures: [figure('thread'), figure('process')],
    };
  },
};

/** A row of Evaluation.spans. */
interface SpanOk {
  trace_id: string;
  span_id: string;
  process_ok: boolean;
  thread_ok: boolean;
}

/** Per category: the method's span count and accuracies on one capture (null: no span). */
function categoryRecords(method: string, spans: readonly SpanOk[], categories: ReadonlyMap<string, string>): CategoryRecord[] {
  return HANDOFF_CATEGORIES.map((category) => {
    const mine = spans.filter((s) => categories.get(spanRef(s.trace_id, s.span_id)) === category);
    const frac = (ok: (s: SpanOk) => boolean) => (mine.length === 0 ? null : mine.filter(ok).length / mine.length);
    return { method, category, spans: mine.length, acc_process: frac((s) => s.process_ok), acc_thread: frac((s) => s.thread_ok) };
  });
}
