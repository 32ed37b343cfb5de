/**
 * Step 2 (paper §4.2): signal syscalls and active threads. Every syscall of a thread is scored by its
 * service's idle model (its first n too, after start padding), or given the capture's spans only
 * those some span's window can need (scoringRanges); a syscall scoring below the threshold
 * is a signal syscall (the idle model did not expect it), and a thread with a signal syscall inside a
 * span is active in that span.
 *
 * Beyond the paper, the threads that make syscalls in a span without a signal are kept too, as
 * activity of basis 'calls': the idle model cannot tell a span's work from an idle routine made of
 * the same calls (a database's query and its clients' health pings are the same recvfrom/sendto on
 * the same connection thread; a health probe and a request run the same handler), and such a span
 * would otherwise never have a thread. Only the profile's spans that no signal ever finds use them
 * (serveSpans, planTraces); the paper's rule stays the rule for every other span.
 */
import * as aq from 'arquero';
import type { Table } from '../capture/types';
import type { OnProgress } from './progress';
import { padStart, scorePadded } from './scorer';
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
  /** Per syscall, the idle model's score (the first n scored after start padding). */
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
  /** Services without an idle model: all their scored syscalls count as signals (nothing is known to be idle). */
  unmodelled: string[];
}

/** Options of {@link detectSignals}. */
export interface SignalOptions extends WindowOptions {
  /** Score below which a syscall is a signal (default {@link DEFAULT_THRESHOLD}). */
  threshold?: number;
  /** Per service scored. */
  onProgress?: OnProgress;
  /**
   * Score only the syscalls that these spans can need ({@link scoringRanges}, under toleranceNs);
   * the others get NaN (not scored, never a signal). Default: every syscall.
   */
  spans?: Table;
}

/**
 * Scores the syscalls of the threads with their service's idle model (`idle` maps a service to
 * anything holding a scorer, such as IdleModels.models) and marks the signal syscalls: every
 * syscall, or with `opts.spans` only those {@link scoringRanges} gives.
 */
export async function detectSignals(threads: readonly ThreadSeq[], idle: ReadonlyMap<string, { scorer: SequenceScorer }>, opts: SignalOptions = {}): Promise<Signals> {
  const threshold = opts.threshold ?? DEFAULT_THRESHOLD;
  const needed = opts.spans ? scoringRanges(threads, opts.spans, opts) : null;
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
    const scores = needed
      ? await scoreRanges(model?.scorer, list, list.map((t) => needed.get(t.key) ?? []))
      : model ? await scorePadded(model.scorer, list.map((t) => t.syscalls)) : list.map((t) => new Float32Array(t.syscalls.length));
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

/**
 * Which syscalls of each thread the stitching steps can read a signal status or a score of, given the
 * capture's spans: by thread key, the ascending, disjoint index ranges [from, to) of its syscalls
 * inside the window of some span of its service, widened by the tolerance (threads of a service
 * without spans: none). Every consumer of signals looks no further: activeThreads counts signals
 * inside the span; activeRanges inside the hull of a span and the overlapping spans of its service
 * in its trace, widened (covered by their windows, since each of them overlaps the span); global
 * sequences and stitchTraces inside a span's widened window; the baselines inside the span. Only
 * the positions are restricted: each is still scored after the n syscalls before it (or the start
 * padding), wherever those lie, so its score is the one scoring the whole thread gives.
 */
export function scoringRanges(threads: readonly ThreadSeq[], spans: Table, opts: WindowOptions = {}): Map<string, [number, number][]> {
  const tol = opts.toleranceNs ?? DEFAULT_TOLERANCE_NS;
  const windows = new Map<string, [number, number][]>();
  for (const s of readSpans(spans)) {
    const list = windows.get(s.service);
    if (list) list.push(spanWindow(s, tol));
    else windows.set(s.service, [spanWindow(s, tol)]);
  }
  // Per service, the union of its spans' windows as disjoint time intervals.
  const unions = new Map<string, [number, number][]>();
  for (const [service, list] of windows) {
    list.sort((x, y) => x[0] - y[0]);
    const merged: [number, number][] = [];
    for (const [a, b] of list) {
      const last = merged[merged.length - 1];
      if (last && a <= last[1]) last[1] = Math.max(last[1], b);
      else merged.push([a, b]);
    }
    unions.set(service, merged);
  }
  const out = new Map<string, [number, number][]>();
  for (const t of threads) {
    const ranges: [number, number][] = [];
    for (const [a, b] of unions.get(t.service) ?? []) {
      const [from, to] = rangeOf(t.ts, a, b);
      if (to === from) continue;
      const last = ranges[ranges.length - 1];
      if (last && from <= last[1]) last[1] = to;
      else ranges.push([from, to]);
    }
    out.set(t.key, ranges);
  }
  return out;
}

/**
 * Each thread's scores at the given index ranges (scorePadded's, each position after the n syscalls
 * before it), NaN elsewhere; without a scorer (a service without an idle model), 0 at the ranges.
 */
async function scoreRanges(scorer: SequenceScorer | undefined, threads: readonly ThreadSeq[], ranges: readonly (readonly [number, number][])[]): Promise<Float32Array[]> {
  const out = threads.map((t) => new Float32Array(t.syscalls.length).fill(NaN));
  if (scorer === undefined) {
    ranges.forEach((list, k) => list.forEach(([from, to]) => out[k].fill(0, from, to)));
    return out;
  }
  const { n } = scorer;
  // A range [from, to) of the thread is positions from..to-1 of its start-padded sequence's n + from..n + to - 1: the slice from `from` holds their n tokens of context.
  const slices: string[][] = [];
  const where: [number, number][] = [];
  threads.forEach((t, k) => {
    if (ranges[k].length === 0) return;
    const padded = padStart(t.syscalls, n);
    for (const [from, to] of ranges[k]) {
      slices.push(padded.slice(from, to + n));
      where.push([k, from]);
    }
  });
  const scores = slices.length > 0 ? await scorer.score(slices) : [];
  scores.forEach((s, j) => out[where[j][0]].set(s.subarray(n), where[j][1]));
  return out;
}

/** One row per thread: key, service, syscalls, scored (with a score: all but a scorer's NaN), signals, signal_fraction (of scored). */
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

/** Why a thread counts as active in a span: a signal syscall inside it (the paper's rule), or only syscalls in its window. */
export type ActiveBasis = 'signal' | 'calls';

/**
 * The active threads of every span. One row per (span, thread of the span's service with a syscall
 * in the span's window widened by the tolerance): trace_id, span_id, service, thread, host, pid,
 * tid, signals (its signal syscalls inside the span itself), calls (its syscalls in the widened
 * window), basis ('signal' when signals > 0: the paper's active thread; else 'calls'). A span
 * whose service made no syscall in its window has no row.
 *
 * Signals count inside the span proper, not the widened window: the thread that reads a request
 * and hands it over (an acceptor, a poller) makes its unexpected calls in the tens of µs before the
 * server span opens, inside the tolerance but not in the span, and is not the span's thread.
 */
export function activeThreads(spans: Table, signals: Signals, opts: WindowOptions = {}): Table {
  const tol = opts.toleranceNs ?? DEFAULT_TOLERANCE_NS;
  const rows = {
    trace_id: [] as string[], span_id: [] as string[], service: [] as string[], thread: [] as string[], host: [] as string[],
    pid: [] as number[], tid: [] as number[], signals: [] as number[], calls: [] as number[], basis: [] as ActiveBasis[],
  };
  for (const trace of groupTraces(readSpans(spans)).values()) {
    for (const s of trace) {
      const [a, b] = spanWindow(s, tol);
      for (const t of signals.byService.get(s.service) ?? []) {
        const [from, to] = rangeOf(t.thread.ts, a, b);
        if (to === from) continue;
        const [sFrom, sTo] = rangeOf(t.signalTs, s.start, s.end);
        rows.trace_id.push(s.traceId);
        rows.span_id.push(s.spanId);
        rows.service.push(s.service);
        rows.thread.push(t.thread.key);
        rows.host.push(t.thread.host);
        rows.pid.push(t.thread.pid);
        rows.tid.push(t.thread.tid);
        rows.signals.push(sTo - sFrom);
        rows.calls.push(to - from);
        rows.basis.push(sTo > sFrom ? 'signal' : 'calls');
      }
    }
  }
  return aq.table(rows);
}
