/**
 * Step 7 (paper §4.4): candidate combinations for the traces of a live capture. Each span that its
 * trace type's profile serves with k threads of its own becomes a slot whose candidates are its
 * active threads that are not false active (their range lies within it); a combination picks k
 * distinct candidates per slot, and its global sequence is what the trace model scores (the
 * paper's Table 1). A thread serves one span at a time: slots whose spans overlap take distinct
 * threads, while one thread may serve successive spans (a database connection thread answering a
 * service's queries one after another, as the isolated capture shows it doing). Spans the profile
 * merges into another span share that span's slot. A span that the profile serves by basis 'calls'
 * (no signal syscall seen in it: see signals.ts) takes as candidates every thread of its service
 * whose syscalls in its window lie within it, signal or not; the trace model, which sees the calls
 * of every service in time order, chooses among them.
 *
 * Beyond the paper, four rules keep the right thread among the candidates and helpers out, each
 * measured on the bundled captures (see the closing note of issue 4):
 * - when every active thread of a span is false active (threads shared by parallel sibling spans,
 *   as Go's Ms running the goroutines of sibling calls in turn), all of them stay candidates;
 * - when no thread signals in a span the profile serves by signal (the idle model took this
 *   instance's work for an idle routine), the threads with calls in it are the candidates;
 * - when the profile says a span's main thread covers it (ProfileSpan.covered), threads whose signal
 *   range covers less than PlanOptions.coverFraction of it are marked as helpers (Slot.helper), if
 *   enough others remain; they stay candidates (the paper's Table 1 lists them), and the search
 *   prefers combinations that give such spans fewer helpers before it compares likelihoods.
 * - when the profile says a span is pooled (ProfileSpan.pooled: in most isolated instances more than
 *   one thread served it, as Go's Ms run a goroutine by turns), its slot takes every active thread,
 *   false active or not, and shares them with the overlapping spans of its service; its serving
 *   thread is the one with most calls in it (stitchTraces). The pool's threads make the same calls,
 *   so the trace model cannot tell them apart and its likelihood went to the quietest: on the
 *   bundled POST /orders traces the Go user spans' true thread was the candidate with most calls in
 *   the span 65% of the time but the search's pick 44% (n-gram models); the truth's thread was false
 *   active, and so dropped, in 0 to 13 of the 45 instances of each user span.
 *   With the rule, POST /orders per span thread accuracy rose from 86.3% to 87.0% with the LSTM models
 *   (78.9% to 81.2% with n-gram models, whose profiles pool more of the spans).
 */
import * as aq from 'arquero';
import type { Table } from '../capture/types';
import { globalSequence } from './global';
import type { SequenceOptions, SequencePart } from './global';
import { COVER_FRACTION } from './merge';
import type { Profiles } from './profile';
import type { ActiveBasis, Signals, ThreadSignals, WindowOptions } from './signals';
import { DEFAULT_TOLERANCE_NS, groupTraces, readSpans, spanKeys, spanWindow } from './spans';
import type { SpanRow } from './spans';

/** A span whose own threads are to be chosen. */
export interface Slot {
  span: SpanRow;
  key: string;
  /** Threads to choose: the profile's count, at most the number of candidates. */
  threads: number;
  /** The span's window, widened by the tolerance. */
  from: number;
  to: number;
  /** Its active threads whose range lies within it (of basis 'signal' unless the profile's is 'calls'), in thread order. */
  candidates: ThreadSignals[];
  /** Per candidate, whether it is a helper of a span its own thread covers (see above); absent: none is. */
  helper?: boolean[];
  /** The profile marks the span pooled (ProfileSpan.pooled): every candidate is chosen, and its threads may serve overlapping spans of its service. */
  pooled?: boolean;
}

/** A span of a planned trace: the slot that serves it, or why none does. */
export interface PlannedSpan {
  span: SpanRow;
  key: string;
  /** Index in TracePlan.slots of the slot whose threads serve it (its own, or the span it is merged into); -1 if none. */
  slot: number;
  /** '' when it has a slot, else why it cannot be stitched. */
  reason: string;
}

/** A live trace ready for the search. */
export interface TracePlan {
  traceId: string;
  traceType: string;
  /** In span order (start, then span id), which is the order of their windows. */
  slots: Slot[];
  spans: PlannedSpan[];
}

/** For each slot, the indices of its chosen candidates (ascending; empty when every candidate serves an overlapping slot). */
export type Combination = number[][];

/** Options of {@link planTraces}. */
export interface PlanOptions extends WindowOptions {
  /**
   * Cover a candidate's signal range must have of a span that the profile marks as covered by its
   * own thread (ProfileSpan.covered) not to be a helper, when at least as many candidates as the
   * slot's threads have it (default COVER_FRACTION; 0 marks none). Helpers that join a span for a
   * burst (a front-end's libuv pool threads) otherwise win the likelihood on their short, clean
   * sequences.
   */
  coverFraction?: number;
}

/**
 * Plans every trace of the live capture from its active ranges (activeRanges) and its type's
 * profile. Spans that cannot be stitched get the reason: no profile for the trace type, span not in
 * the profile, the profile gives it no thread, no active thread within it, or it is merged into a
 * span that is missing or has none.
 */
export function planTraces(ranges: Table, spans: Table, signals: Signals, profiles: Profiles, opts: PlanOptions = {}): TracePlan[] {
  const tol = opts.toleranceNs ?? DEFAULT_TOLERANCE_NS;
  const coverFraction = opts.coverFraction ?? COVER_FRACTION;
  const within = withinThreads(ranges);
  const order = new Map([...signals.threads.keys()].map((k, i) => [k, i]));
  const plans: TracePlan[] = [];
  for (const [traceId, trace] of groupTraces(readSpans(spans))) {
    const traceType = trace[0].traceType;
    const profile = profiles.byType.get(traceType);
    const keys = spanKeys(trace);
    const byKey = new Map(trace.map((s) => [keys.get(s.spanId)!, s]));
    const slots: Slot[] = [];
    const slotOf = new Map<string, number | string>(); // span id -> slot index, or the reason it has none
    for (const s of trace) {
      const key = keys.get(s.spanId)!;
      const profiled = profile?.spans.get(key);
      const role = profiled?.role;
      if (profile === undefined) slotOf.set(s.spanId, 'no profile for this trace type');
      else if (role === undefined) slotOf.set(s.spanId, `span not in the profile of ${traceType}`);
      else if (role.kind === 'none') slotOf.set(s.spanId, 'the profile gives this span no thread');
      else if (role.kind === 'own') {
        const all = (within.get(`${traceId}\u0000${s.spanId}`) ?? []).sort((a, b) => order.get(a.thread)! - order.get(b.thread)!);
        // No thread signals in a span the profile serves by signal: as a span served by calls (the
        // idle model took this instance's work for an idle routine), every thread with calls in it.
        const signalled = all.filter((c) => role.basis === 'calls' || c.basis === 'signal');
        const active = signalled.length > 0 ? signalled : all;
        // Every active thread false active: threads shared by parallel spans (Go's Ms run the
        // goroutines of sibling calls in turn) fit none of them; the search chooses among them all.
        // A pooled span's threads serve its overlapping siblings by turns: their ranges span the
        // siblings, so none is false active.
        const rows = !profiled!.pooled && active.some((c) => c.within) ? active.filter((c) => c.within) : active;
        const coverOf = (c: { first: number; last: number }) => (s.end > s.start ? Math.max(0, Math.min(c.last, s.end) - Math.max(c.first, s.start)) / (s.end - s.start) : 1);
        // A span whose own thread covers it (profile) is not served by helpers alone. Only signal
        // ranges say how long a thread worked on a span; a calls range spans all of a busy thread's
        // calls in the window.
        const covers = (c: { basis: ActiveBasis; first: number; last: number }) => c.basis === 'signal' && coverOf(c) >= coverFraction;
        const helpers = profiled!.covered && role.basis === 'signal' && coverFraction > 0 && rows.filter(covers).length >= role.threads;
        const candidates = rows.map((c) => signals.threads.get(c.thread)!);
        if (candidates.length === 0) slotOf.set(s.spanId, 'no active thread within the span');
        else {
          const [from, to] = spanWindow(s, tol);
          slotOf.set(s.spanId, slots.length);
          const threads = profiled!.pooled ? candidates.length : Math.min(role.threads, candidates.length);
          slots.push({ span: s, key, threads, from, to, candidates, ...(helpers ? { helper: rows.map((c) => !covers(c)) } : {}), ...(profiled!.pooled ? { pooled: true } : {}) });
        }
      }
    }
    // Merged spans take the slot of the span they are merged into (following chains of merges).
    const resolve = (s: SpanRow, hops: number): number | string => {
      const known = slotOf.get(s.spanId);
      if (known !== undefined) return known;
      const role = profile!.spans.get(keys.get(s.spanId)!)!.role as { kind: 'merged'; into: string };
      const target = byKey.get(role.into);
      if (target === undefined) return `merged into ${role.into}, which this trace lacks`;
      if (hops > trace.length) return 'the profile merges spans in a cycle';
      const r = resolve(target, hops + 1);
      return typeof r === 'number' ? r : `merged into ${role.into}, which is not stitched (${r})`;
    };
    const planned = trace.map((s) => {
      const r = resolve(s, 0);
      return { span: s, key: keys.get(s.spanId)!, slot: typeof r === 'number' ? r : -1, reason: typeof r === 'number' ? '' : r };
    });
    plans.push({ traceId, traceType, slots, spans: planned });
  }
  return plans;
}

/** The size of the search space: the product over slots of C(candidates, threads), before distinctness. */
export function combinationCount(plan: TracePlan): number {
  return plan.slots.reduce((p, s) => p * binomial(s.candidates.length, s.threads), 1);
}

/** The k-subsets of 0..c-1 in lexicographic order: a slot's choices. */
export function choices(slot: Slot): number[][] {
  const out: number[][] = [];
  const pick = (start: number, chosen: number[]) => {
    if (chosen.length === slot.threads) out.push([...chosen]);
    else for (let i = start; i <= slot.candidates.length - (slot.threads - chosen.length); i++) pick(i + 1, [...chosen, i]);
  };
  pick(0, []);
  return out;
}

/**
 * Whether `choice` for slot j takes a thread that the partial combination (slots 0..j-1) already
 * gives a slot whose span overlaps slot j's, unless one of the two is pooled (a pool's threads
 * serve the overlapping spans of its service by turns).
 */
export function reusesThread(plan: TracePlan, combo: Combination, j: number, choice: readonly number[]): boolean {
  const slot = plan.slots[j];
  const keys = new Set(choice.map((i) => slot.candidates[i].thread.key));
  return combo.some((other, k) => {
    const o = plan.slots[k];
    if (o.pooled || slot.pooled) return false;
    return o.span.start <= slot.span.end && o.span.end >= slot.span.start && other.some((i) => keys.has(o.candidates[i].thread.key));
  });
}

/**
 * Every combination in which slots whose spans overlap have distinct threads, slot by slot in
 * lexicographic order; a slot left no free candidate by the earlier slots' choice gets none ([]).
 */
export function* combinations(plan: TracePlan): Generator<Combination> {
  const options = plan.slots.map(choices);
  const combo: Combination = [];
  function* walk(j: number): Generator<Combination> {
    if (j === plan.slots.length) {
      yield combo.map((c) => [...c]);
      return;
    }
    const free = options[j].filter((choice) => !reusesThread(plan, combo, j, choice));
    // A slot whose every candidate serves an overlapping slot is left empty rather than losing the whole trace.
    for (const choice of free.length > 0 ? free : [[]]) {
      combo.push(choice);
      yield* walk(j + 1);
      combo.pop();
    }
  }
  yield* walk(0);
}

/** The parts of a combination's global sequence; a partial combination (fewer entries than slots) gives those of its slots. */
export function combinationParts(plan: TracePlan, combo: Combination): SequencePart[] {
  return combo.flatMap((choice, j) => choice.map((i) => ({ thread: plan.slots[j].candidates[i], from: plan.slots[j].from, to: plan.slots[j].to })));
}

/** A combination's name as in the paper's Table 1: service and candidate number per slot, "A1-B2-C1" (k > 1 threads joined by "+"). */
export function combinationLabel(plan: TracePlan, combo: Combination): string {
  return combo.map((choice, j) => choice.map((i) => `${plan.slots[j].span.service}${i + 1}`).join('+')).join('-');
}

/** The paper's Table 1 for one trace: every combination and its global sequence (tokens joined by spaces). */
export function combinationTable(plan: TracePlan, opts: SequenceOptions = {}): Table {
  const combos = [...combinations(plan)];
  return aq.table({
    combination: combos.map((c) => combinationLabel(plan, c)),
    sequence: combos.map((c) => globalSequence(combinationParts(plan, c), opts).join(' ')),
  });
}

/** Live active threads of each span with their basis, range and whether it lies within the span, by "trace\0span". */
function withinThreads(ranges: Table): Map<string, { thread: string; basis: ActiveBasis; first: number; last: number; within: boolean }[]> {
  const [trace, span, thread, within, basis, first, last] = ['trace_id', 'span_id', 'thread', 'within', 'basis', 'first_ns', 'last_ns'].map((c) => ranges.array(c));
  const out = new Map<string, { thread: string; basis: ActiveBasis; first: number; last: number; within: boolean }[]>();
  for (let r = 0; r < ranges.numRows(); r++) {
    const key = `${trace[r]}\u0000${span[r]}`;
    const row = { thread: thread[r] as string, basis: basis[r] as ActiveBasis, first: first[r] as number, last: last[r] as number, within: within[r] as boolean };
    const list = out.get(key);
    if (list) list.push(row);
    else out.set(key, [row]);
  }
  return out;
}

function binomial(n: number, k: number): number {
  let c = 1;
  for (let i = 0; i < k; i++) c = (c * (n - i)) / (i + 1);
  return Math.round(c);
}
