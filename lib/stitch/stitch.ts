/**
 * Step 9 (paper §4.4): stitching. The best combination of each planned trace gives each span its
 * serving thread (host, pid, tid) and its syscalls; spans that cannot be stitched say why.
 */
import * as aq from 'arquero';
import type { Table } from '../capture/types';
import type { TracePlan } from './candidates';
import { mergeParts } from './global';
import type { SequencePart } from './global';
import type { OnProgress } from './progress';
import { cachedScorer } from './scorer';
import type { SequenceScorer } from './scorer';
import { searchCombinations } from './search';
import type { SearchOptions, SearchResult } from './search';
import type { ThreadSignals, WindowOptions } from './signals';
import { DEFAULT_TOLERANCE_NS, compareStrings, spanWindow } from './spans';
import { lowerBound, rangeCount } from './threads';

/** The status of a stitched span. */
export const STITCHED = 'stitched';

/** Options of {@link stitchTraces}. */
export interface StitchOptions extends SearchOptions, WindowOptions {
  /** Per trace searched. */
  onProgress?: OnProgress;
}

/**
 * Stitches planned traces (planTraces) with the trace models by type (TraceModels.models, or any
 * map to a scorer). One row per span: trace_id, span_id, trace_type, service, operation, status
 * ({@link STITCHED} or why not), thread (host/pid/tid of its serving thread), threads (all its
 * threads when the profile gives it several, space-separated), host, pid, tid, likelihood (of the
 * trace's best combination), candidates (size of the search space), scored (sequences scored),
 * search, model_windows (unique windows of the trace the model had to score: each trace model's
 * scores are cached across the candidates and the traces, cachedScorer), n_syscalls, syscalls (the
 * names of its thread's syscalls in its window, space-separated).
 * A span's serving thread is its slot's thread with the most syscalls in the slot's window (ties: the
 * earliest signal syscall in it): when the profile gives a span several threads, as when a Go goroutine
 * moves between threads while it parks on I/O, the one that did most of the span's work is the one
 * that served it. A merged span's syscalls are that thread's within its own window.
 */
export async function stitchTraces(plans: readonly TracePlan[], models: ReadonlyMap<string, { scorer: SequenceScorer }>, opts: StitchOptions = {}): Promise<Table> {
  const tol = opts.toleranceNs ?? DEFAULT_TOLERANCE_NS;
  const cols = {
    trace_id: [] as string[], span_id: [] as string[], trace_type: [] as string[], service: [] as string[], operation: [] as string[],
    status: [] as string[], thread: [] as (string | null)[], threads: [] as string[], host: [] as (string | null)[], pid: [] as (number | null)[],
    tid: [] as (number | null)[], likelihood: [] as number[], candidates: [] as number[], scored: [] as number[], search: [] as string[],
    model_windows: [] as number[], n_syscalls: [] as number[], syscalls: [] as string[],
  };
  const cached = new Map([...models].map(([type, m]) => [type, { scorer: cachedScorer(m.scorer) }]));
  for (const [done, plan] of plans.entries()) {
    opts.onProgress?.({ step: 'stitch', done, total: plans.length, unit: 'traces', detail: plan.traceId });
    const model = cached.get(plan.traceType);
    const before = model?.scorer.misses ?? 0;
    const result: SearchResult = model
      ? await searchCombinations(plan, model, opts)
      : { combination: null, likelihood: NaN, candidates: 0, scored: 0, search: 'none' };
    const modelWindows = (model?.scorer.misses ?? 0) - before;
    for (const p of plan.spans) {
      let status = p.reason;
      let chosen: ThreadSignals[] = [];
      if (status === '') {
        if (model === undefined) status = 'no trace model for this trace type';
        else if (result.combination === null || result.combination[p.slot].length === 0) status = 'every candidate thread serves an overlapping span';
        else {
          const slot = plan.slots[p.slot];
          chosen = result.combination[p.slot].map((i) => slot.candidates[i]);
          const calls = (t: ThreadSignals) => rangeCount(t.thread.ts, slot.from, slot.to);
          chosen.sort((a, b) => calls(b) - calls(a) || firstSignal(a, slot.from, slot.to) - firstSignal(b, slot.from, slot.to) || compareStrings(a.thread.key, b.thread.key));
          // A merged span is served by its slot's serving thread, within its own window.
          if (slot.span !== p.span) chosen = chosen.slice(0, 1);
          status = STITCHED;
        }
      }
      const [from, to] = spanWindow(p.span, tol);
      const parts: SequencePart[] = chosen.map((thread) => ({ thread, from, to }));
      const calls = mergeParts(parts, opts).map(([k, i]) => parts[k].thread.thread.syscalls[i]);
      const primary = chosen[0]?.thread;
      cols.trace_id.push(plan.traceId);
      cols.span_id.push(p.span.spanId);
      cols.trace_type.push(plan.traceType);
      cols.service.push(p.span.service);
      cols.operation.push(p.span.operation);
      cols.status.push(status);
      cols.thread.push(primary?.key ?? null);
      cols.threads.push(chosen.map((t) => t.thread.key).join(' '));
      cols.host.push(primary?.host ?? null);
      cols.pid.push(primary?.pid ?? null);
      cols.tid.push(primary?.tid ?? null);
      cols.likelihood.push(result.likelihood);
      cols.candidates.push(result.candidates);
      cols.scored.push(result.scored);
      cols.search.push(result.search);
      cols.model_windows.push(modelWindows);
      cols.n_syscalls.push(calls.length);
      cols.syscalls.push(calls.join(' '));
    }
  }
  opts.onProgress?.({ step: 'stitch', done: plans.length, total: plans.length, unit: 'traces' });
  return aq.table(cols);
}

/** The time of a thread's first signal syscall in [from, to], Infinity if none (signals outside a span's window are never read: signals.ts scoringRanges). */
function firstSignal(t: ThreadSignals, from: number, to: number): number {
  const i = lowerBound(t.signalTs, from);
  return i < t.signalTs.length && t.signalTs[i] <= to ? t.signalTs[i] : Infinity;
}
