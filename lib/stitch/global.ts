/**
 * Step 6 (paper §4.3): global sequences and trace models. A trace's global sequence is the
 * syscalls of the threads serving its spans, each inside its span's window, merged in time order
 * and written "service:syscall" so that the interaction between services is part of the pattern.
 * One trace model per trace type learns the global sequences of the isolated capture.
 *
 * Every global sequence is preceded by n start tokens (scorer's padStart) before windows are taken: the trace model
 * then also learns how a trace begins, every syscall of a candidate gets a score, and a trace with
 * fewer than n + 1 syscalls (a health check) can still be scored. Without it the first n syscalls
 * of a trace would never count in a likelihood.
 */
import * as aq from 'arquero';
import type { Table } from '../capture/types';
import { globalToken } from '../seq/vocab';
import type { Profiles } from './profile';
import { reportEpochs } from './progress';
import type { OnProgress } from './progress';
import { DEFAULT_N, fitScorer, meanScore, padStart, scorePadded } from './scorer';
import type { FitOptions, FittedScorer, SequenceScorer } from './scorer';
import type { Signals, ThreadSignals, WindowOptions } from './signals';
import { DEFAULT_TOLERANCE_NS } from './spans';
import { lowerBound, rangeOf } from './threads';
import type { ThreadSeq } from './threads';

/**
 * Which syscalls of a serving thread go into a global sequence: 'all' its syscalls in the span's
 * window (the default, as the paper's Table 1 reads them), or only its 'signal' syscalls (the
 * sanitised sequence of the paper's §4.2, idle activity filtered out).
 */
export type SyscallSelection = 'all' | 'signal';

/** One thread's share of a global sequence: its syscalls in [from, to]. */
export interface SequencePart {
  thread: ThreadSignals;
  from: number;
  to: number;
}

/** Which syscalls global sequences hold. */
export interface SequenceOptions {
  /** Default 'all'. */
  syscalls?: SyscallSelection;
}

/**
 * The global sequence of some parts: their syscalls merged by time (ties in part order) as
 * "service:syscall" tokens; with `cutNs`, only those before it (a prefix, for the beam search).
 */
export function globalSequence(parts: readonly SequencePart[], opts: SequenceOptions = {}, cutNs?: number): string[] {
  return mergeParts(parts, opts, cutNs).map(([p, i]) => tokensOf(parts[p].thread.thread)[i]);
}

/**
 * The (part, syscall index) of each syscall of the global sequence of some parts, in its order
 * (see {@link globalSequence}).
 */
export function mergeParts(parts: readonly SequencePart[], opts: SequenceOptions = {}, cutNs?: number): [number, number][] {
  const picked: [number, number][] = [];
  const signalOnly = (opts.syscalls ?? 'all') === 'signal';
  // A thread serving successive spans has a part for each; their widened windows may overlap, and a call is taken once.
  const seen = new Map<ThreadSignals, Set<number>>();
  parts.forEach((part, p) => {
    // Times of the calls to pick from: all of the thread's, or its signal syscalls'.
    const ts = signalOnly ? part.thread.signalTs : part.thread.thread.ts;
    let [from, to] = rangeOf(ts, part.from, part.to);
    if (cutNs !== undefined) to = Math.min(to, lowerBound(ts, cutNs));
    let taken = seen.get(part.thread);
    if (taken === undefined) seen.set(part.thread, (taken = new Set()));
    for (let k = from; k < to; k++) {
      const i = signalOnly ? part.thread.signals[k] : k;
      if (taken.has(i)) continue;
      taken.add(i);
      picked.push([p, i]);
    }
  });
  const tsOf = ([p, i]: [number, number]) => parts[p].thread.thread.ts[i];
  return picked.sort((a, b) => tsOf(a) - tsOf(b) || a[0] - b[0] || a[1] - b[1]);
}

const tokenCache = new WeakMap<ThreadSeq, string[]>();

/** A thread's syscalls as global tokens (computed once per thread). */
function tokensOf(t: ThreadSeq): string[] {
  let tokens = tokenCache.get(t);
  if (tokens === undefined) tokenCache.set(t, (tokens = t.syscalls.map((s) => globalToken(t.service, s))));
  return tokens;
}

/** One trace's global sequence. */
export interface TraceSequence {
  traceId: string;
  tokens: string[];
}

/**
 * The global sequences of the isolated capture's traces, by trace type (every profiled type, with an
 * empty list when it has no trace), read under the profile: for each span the profile serves with k
 * threads of its own, the instance's own threads of that span (at most k, its main thread first,
 * as serveSpans orders them), their syscalls in its window; spans the profile merges or leaves
 * without a thread add nothing, as in the live capture's candidates.
 *
 * Every instance is used, not only those whose every span had its profile role
 * (Profiles.conforming): in a trace of some sixty spans one span off its mode is the rule, and
 * conforming instances only would leave such a trace type without a trace model. The paper trains
 * on the "sanitised" sequences without saying more; reading each instance under the profile is the
 * sanitising here.
 */
export function isolatedSequences(served: Table, signals: Signals, profiles: Profiles, opts: WindowOptions & SequenceOptions = {}): Map<string, TraceSequence[]> {
  const tol = opts.toleranceNs ?? DEFAULT_TOLERANCE_NS;
  const cols = ['trace_id', 'trace_type', 'span_id', 'span_key', 'role', 'thread', 'start_ns', 'end_ns'].map((c) => served.array(c));
  const parts = new Map<string, { type: string; parts: SequencePart[] }>();
  const taken = new Map<string, number>(); // trace and span id -> own threads taken
  for (let r = 0; r < served.numRows(); r++) {
    const [traceId, type, spanId, key, role, thread, start, end] = cols.map((c) => c[r]) as [string, string, string, string, string, string, number, number];
    let t = parts.get(traceId);
    if (t === undefined) parts.set(traceId, (t = { type, parts: [] }));
    const profiled = profiles.byType.get(type)?.spans.get(key)?.role;
    if (role !== 'own' || profiled?.kind !== 'own') continue;
    const k = taken.get(`${traceId}\u0000${spanId}`) ?? 0;
    if (k >= profiled.threads) continue;
    taken.set(`${traceId}\u0000${spanId}`, k + 1);
    const ths = signals.threads.get(thread);
    if (ths === undefined) throw new Error(`isolatedSequences: thread ${thread} of trace ${traceId} is not in the signals given; pass the ones the served table came from`);
    t.parts.push({ thread: ths, from: start - tol, to: end + tol });
  }
  // Every profiled type, so that one without a trace is reported by trainTraceModels.
  const out = new Map<string, TraceSequence[]>([...profiles.byType.keys()].map((type) => [type, []]));
  for (const [traceId, t] of parts) out.get(t.type)?.push({ traceId, tokens: globalSequence(t.parts, { syscalls: opts.syscalls }) });
  return out;
}

/** One row per global sequence: trace_type, trace_id, length, sequence (tokens joined by spaces). */
export function sequenceTable(sequences: ReadonlyMap<string, readonly TraceSequence[]>): Table {
  const rows = [...sequences].flatMap(([type, list]) => list.map((s) => ({ type, ...s })));
  return aq.table({
    trace_type: rows.map((r) => r.type),
    trace_id: rows.map((r) => r.traceId),
    length: rows.map((r) => r.tokens.length),
    sequence: rows.map((r) => r.tokens.join(' ')),
  });
}

/** A trace type's model. */
export interface TraceModel extends FittedScorer {
  traceType: string;
  /** Global sequences it learnt from. */
  sequences: number;
}

/** The trace models by type, and the types that got none, with why. */
export interface TraceModels {
  models: Map<string, TraceModel>;
  skipped: { traceType: string; reason: string }[];
}

/** Options of {@link trainTraceModels}. */
export interface TraceModelOptions extends FitOptions {
  /** Per trace type, and per training epoch of the LSTM. */
  onProgress?: OnProgress;
}

/** Trains (or loads from the cache) one trace model per trace type on its global sequences, start-padded. */
export async function trainTraceModels(sequences: ReadonlyMap<string, readonly TraceSequence[]>, opts: TraceModelOptions = {}): Promise<TraceModels> {
  const n = opts.n ?? DEFAULT_N;
  const out: TraceModels = { models: new Map(), skipped: [] };
  const types = [...sequences.keys()];
  for (const [i, traceType] of types.entries()) {
    const list = sequences.get(traceType)!;
    const report = (detail: string) => opts.onProgress?.({ step: 'trace models', done: i, total: types.length, unit: 'trace types', detail: `${traceType}: ${detail}` });
    report('fitting');
    if (!list.some((s) => s.tokens.length > 0)) {
      out.skipped.push({ traceType, reason: list.length === 0 ? 'no trace in the isolated capture' : 'every global sequence is empty' });
      continue;
    }
    const train = reportEpochs(opts.train, report);
    const fit = await fitScorer(list.map((s) => padStart(s.tokens, n)), { ...opts, n, train });
    out.models.set(traceType, { ...fit, traceType, sequences: list.length });
  }
  opts.onProgress?.({ step: 'trace models', done: types.length, total: types.length, unit: 'trace types' });
  return out;
}

/**
 * The likelihood of each global sequence under a trace model: the mean prediction score of its
 * syscalls (paper §4.4), each scored after the n tokens before it in the start-padded sequence.
 * NaN for an empty sequence.
 */
export async function likelihoods(model: { scorer: SequenceScorer }, sequences: readonly (readonly string[])[]): Promise<Float64Array> {
  const scores = await scorePadded(model.scorer, sequences);
  return Float64Array.from(scores, (s) => meanScore(s));
}
