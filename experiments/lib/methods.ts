/**
 * Stitching one live capture by Deepstitch and by the baselines, each evaluated against the
 * capture's truth, with its stitching time. The baselines read the signals that Deepstitch's live
 * phase computes (detected once per capture with the same idle models and threshold); the time of
 * the ones that read them (random, fifo, local) includes detecting them, the others' does not.
 */
import type { Table } from '../../lib/capture/types';
import { BASELINES, stitchBaseline, type BaselineName } from '../../lib/stitch/baselines';
import {
  detectSignals, evaluate, readSpans, stitchCapture, table2, threadSequences,
  type Evaluation, type Signals,
} from '../../lib/stitch/index';
import type { Models } from './models';

/** Deepstitch's name among the methods. */
export const DEEPSTITCH = 'deepstitch';

/** Deepstitch or a baseline. */
export type MethodName = typeof DEEPSTITCH | BaselineName;

/** Every method, Deepstitch first. */
export const METHODS: readonly MethodName[] = [DEEPSTITCH, ...BASELINES];

/** Baselines that read signal syscalls (their time includes detecting them). */
const NEEDS_SIGNALS = new Set<MethodName>(['random', 'fifo', 'local']);

/** A live capture with its truth. */
export interface LiveCapture {
  spans: Table;
  syscalls: Table;
  truth: Table;
}

/** One method's stitching of one capture. */
export interface MethodRun {
  method: MethodName;
  seconds: number;
  evaluation: Evaluation;
}

/** Stitches `live` by each method (in the order given) and evaluates each against the truth. */
export async function runMethods(live: LiveCapture, models: Models, methods: readonly MethodName[], seed: number): Promise<MethodRun[]> {
  const out: MethodRun[] = [];
  let signals: { signals: Signals; seconds: number } | null = null;
  for (const method of methods) {
    if (method === DEEPSTITCH) {
      const t0 = performance.now();
      const res = await stitchCapture(live, models.idle.models, models.profiles, models.trace.models, { threshold: models.threshold });
      out.push({ method, seconds: (performance.now() - t0) / 1000, evaluation: evaluate(res.stitched, live.truth, live.spans) });
      continue;
    }
    signals ??= await timedSignals(live, models);
    const t0 = performance.now();
    const stitched = stitchBaseline(method, live.spans, signals.signals, { seed });
    const seconds = (performance.now() - t0) / 1000 + (NEEDS_SIGNALS.has(method) ? signals.seconds : 0);
    out.push({ method, seconds, evaluation: evaluate(stitched, live.truth, live.spans) });
  }
  return out;
}

/** The live capture's signals under the idle models, as stitchCapture detects them, and the time it took. */
async function timedSignals(live: LiveCapture, models: Models): Promise<{ signals: Signals; seconds: number }> {
  const t0 = performance.now();
  const services = [...new Set(readSpans(live.spans).map((s) => s.service))];
  const signals = await detectSignals(threadSequences(live.syscalls, { services }), models.idle.models, { threshold: models.threshold });
  return { signals, seconds: (performance.now() - t0) / 1000 };
}

/** The trace type of the row that pools every trace of a run. */
export const ALL_TYPES = 'all';

/** One method's accuracies on one run, for one trace type or all of them (fractions; NaN: no trace). */
export interface AccuracyRecord {
  method: MethodName;
  trace_type: string;
  traces: number;
  spans: number;
  /** Per trace (every span right), as Table 2. */
  acc_process: number;
  acc_thread: number;
  /** Per span. */
  span_acc_process: number;
  span_acc_thread: number;
  seconds: number;
}

/** Per trace type and over all traces: the accuracies of each method run. */
export function accuracyRecords(runs: readonly MethodRun[]): AccuracyRecord[] {
  return runs.flatMap((r) => {
    const o = r.evaluation.overall;
    const spansOf = new Map((r.evaluation.byType.objects() as { trace_type: string; spans: number }[]).map((t) => [t.trace_type, t.spans]));
    return [
      ...table2(r.evaluation).map((t) => ({
        method: r.method, trace_type: t.trace_type, traces: t.traces, spans: spansOf.get(t.trace_type) ?? 0,
        acc_process: t.acc_process, acc_thread: t.acc_thread, span_acc_process: t.span_acc_process, span_acc_thread: t.span_acc_thread, seconds: r.seconds,
      })),
      {
        method: r.method, trace_type: ALL_TYPES, traces: o.traces, spans: o.spans,
        acc_process: o.trace_acc_process, acc_thread: o.trace_acc_thread, span_acc_process: o.acc_process, span_acc_thread: o.acc_thread, seconds: r.seconds,
      },
    ];
  });
}
