/**
 * Step 2 (paper §4.2): signal syscalls and active threads. Every syscall of a thread is scored by its
 * service's idle model; a syscall scoring below the threshold is a signal syscall (the idle model did
 * not expect it), and a thread with a signal syscall inside a span's window is active in that span.
 */
import * as aq from 'arquero';
import type { Table } from '../capture/types';
import type { OnProgress } from './progress';
import type { SequenceScorer } from './scorer';
import { DEFAULT_TOLERANCE_NS, groupTraces, readSpans, spanWindow } from './spans';
import { rangeOf } from './threads';
import type { ThreadSeq } from './threads';

/**
 * Default threshold, 0.1: a syscall is a signal when the idle model gave it less than a 10% chance.
 * Idle routines are tight loops whose next syscall an idle model predicts with a probability near 1,
 * and their branches (a timeout, a GC cycle) with about their frequency, mostly above 0.1; request
 * handling brings contexts the idle model never saw. The paper gives no value.
 */
export const DEFAULT_THRESHOLD = 0.1;

/** One thread's scores and signal syscalls. */
export interface ThreadSignals {
  thread: ThreadSeq;
  /** Per syscall, the idle model's score (NaN for the first n, which have no window). */
  scores: Float32Array;
  /** Positions of the signal syscalls, ascending. */
  signals: Int32Array;
  /** Their timestamps. */
  signalTs: Float64Array;
}

/** The scored threads of a capture. */
export interface Signals {
  threshold: number;
  /** By thread key. */
  threads: Map<string, ThreadSignals>;
  /** By service, in thread order. */
  byService: Map<string, ThreadSignals[]>;
  /** Services without an idle model: all their syscalls count as signals (nothing is known to be idle). */
  unmodelled: string[];
}

/** Options of {@link detectSignals}. */
export interface SignalOptions {
  /** Score below which a syscall is a signal (default {@link DEFAULT_THRESHOLD}). */
  threshold?: number;
  /** Per service scored. */
  onProgress?: OnProgress;
}

/**
 * Scores every syscall of the threads with their service's idle model (`idle` maps a service to
 * anything holding a scorer, such as IdleModels.models) and marks the signal syscalls.
 */
export async function detectSignals(threads: readonly ThreadSeq[], idle: ReadonlyMap<string, { scorer: SequenceScorer }>, opts: SignalOptions = {}): Promise<Signals> {
  const threshold = opts.threshold ?? DEFAULT_THRESHOLD;
  const groups = new Map<string, ThreadSeq[]>();
  for (const t of threads) {
    const list = groups.get(t.service);
    if (list) list.push(t);
    else groups.set(t.service, [t]);
  }
  const out: Signals = { threshold, threads: new Map(), byService: new Map(), unmodelled: [] };
  let done = 0;
  for (const [service, list] of groups) {
    opts.onProgress?.({ step: 'signals', done, total: groups.size, unit: 'services', detail: service });
    const model = idle.get(service);
    if (model === undefined) out.unmodelled.push(service);
    const scores = model ? await model.scorer.score(list.map((t) => t.syscalls)) : list.map((t) => new Float32Array(t.syscalls.length));
    const scored = list.map((thread, k) => {
      const s = scores[k];
      const positions: number[] = [];
      for (let i = 0; i < s.length; i++) if (s[i] < threshold) positions.push(i);
      const signals = Int32Array.from(positions);
      const ts = new Float64Array(signals.length);
      signals.forEach((p, j) => (ts[j] = thread.ts[p]));
      const ths: ThreadSignals = { thread, scores: s, signals, signalTs: ts };
      out.threads.set(thread.key, ths);
      return ths;
    });
    out.byService.set(service, scored);
    done++;
  }
  opts.onProgress?.({ step: 'signals', done, total: groups.size, unit: 'services' });
  return out;
}

/** One row per thread: key, service, syscalls, scored (with a window), signals, signal_fraction (of scored). */
export function signalTable(signals: Signals): Table {
  const list = [...signals.threads.values()];
  const scored = list.map((t) => t.scores.reduce((c, s) => c + (Number.isNaN(s) ? 0 : 1), 0));
  return aq.table({
    thread: list.map((t) => t.thread.key),
    service: list.map((t) => t.thread.service),
    syscalls: list.map((t) => t.scores.length),
    scored,
    signals: list.map((t) => t.signals.length),
    signal_fraction: list.map((t, i) => (scored[i] === 0 ? null : t.signals.length / scored[i])),
  });
}

/** Options of the steps that look at span windows. */
export interface WindowOptions {
  /** Widening of span windows for clock skew, ns (default DEFAULT_TOLERANCE_NS). */
  toleranceNs?: number;
}

/**
 * The active threads of every span: the threads of the span's service with at least one signal
 * syscall in the span's window (widened by the tolerance). One row per (span, thread): trace_id,
 * span_id, service, thread, host, pid, tid, signals (their count in the window). A span without an
 * active thread has no row.
 */
export function activeThreads(spans: Table, signals: Signals, opts: WindowOptions = {}): Table {
  const tol = opts.toleranceNs ?? DEFAULT_TOLERANCE_NS;
  const rows = { trace_id: [] as string[], span_id: [] as string[], service: [] as string[], thread: [] as string[], host: [] as string[], pid: [] as number[], tid: [] as number[], signals: [] as number[] };
  for (const trace of groupTraces(readSpans(spans)).values()) {
    for (const s of trace) {
      const [a, b] = spanWindow(s, tol);
      for (const t of signals.byService.get(s.service) ?? []) {
        const [from, to] = rangeOf(t.signalTs, a, b);
        if (to === from) continue;
        rows.trace_id.push(s.traceId);
        rows.span_id.push(s.spanId);
        rows.service.push(s.service);
        rows.thread.push(t.thread.key);
        rows.host.push(t.thread.host);
        rows.pid.push(t.thread.pid);
        rows.tid.push(t.thread.tid);
        rows.signals.push(to - from);
      }
    }
  }
  return aq.table(rows);
}
