/**
 * Step 7 (paper §4.4): candidate combinations for the traces of a live capture. Each span that its
 * trace type's profile serves with k threads of its own becomes a slot whose candidates are its
 * active threads that are not false active (their range lies within it); a combination picks k
 * distinct candidates per slot, and its global sequence is what the trace model scores (the
 * paper's Table 1). A thread serves one span at a time: slots whose spans overlap take distinct
 * threads, while one thread may serve successive spans (a database connection thread answering a
 * service's queries one after another, as the isolated capture shows it doing). Spans the profile merges into another span share that span's slot. A span
 * that the profile serves by basis 'calls' (no signal syscall seen in it: see signals.ts) takes as
 * candidates every thread of its service whose syscalls in its window lie within it, signal or not;
 * the trace model, which sees the calls of every service in time order, chooses among them.
 */
import * as aq from 'arquero';
import type { Table } from '../capture/types';
import { globalSequence } from './global';
import type { SequenceOptions, SequencePart } from './global';
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

/**
 * Plans every trace of the live capture from its active ranges (activeRanges) and its type's
 * profile. Spans that cannot be stitched get the reason: no profile for the trace type, span not in
 * the profile, the profile gives it no thread, no active thread within it, or it is merged into a
 * span that is missing or has none.
 */
export function planTraces(ranges: Table, spans: Table, signals: Signals, profiles: Profiles, opts: WindowOptions = {}): TracePlan[] {
  const tol = opts.toleranceNs ?? DEFAULT_TOLERANCE_NS;
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
      const role = profile?.spans.get(key)?.role;
      if (profile === undefined) slotOf.set(s.spanId, 'no profile for this trace type');
      else if (role === undefined) slotOf.set(s.spanId, `span not in the profile of ${traceType}`);
      else if (role.kind === 'none') slotOf.set(s.spanId, 'the profile gives this span no thread');
      else if (role.kind === 'own') {
        const candidates = (within.get(`${traceId}\u0000${s.spanId}`) ?? [])
          .filter((c) => role.basis === 'calls' || c.basis === 'signal')
          .map((c) => signals.threads.get(c.thread)!)
          .sort((a, b) => order.get(a.thread.key)! - order.get(b.thread.key)!);
        if (candidates.length === 0) slotOf.set(s.spanId, 'no active thread within the span');
        else {
          const [from, to] = spanWindow(s, tol);
          slotOf.set(s.spanId, slots.length);
          slots.push({ span: s, key, threads: Math.min(role.threads, candidates.length), from, to, candidates });
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
 * gives a slot whose span overlaps slot j's.
 */
export function reusesThread(plan: TracePlan, combo: Combination, j: number, choice: readonly number[]): boolean {
  const slot = plan.slots[j];
  const keys = new Set(choice.map((i) => slot.candidates[i].thread.key));
  return combo.some((other, k) => {
    const o = plan.slots[k];
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

/** Live threads within each span (range inside it) with their basis, by "trace\0span". */
function withinThreads(ranges: Table): Map<string, { thread: string; basis: ActiveBasis }[]> {
  const [trace, span, thread, within, basis] = ['trace_id', 'span_id', 'thread', 'within', 'basis'].map((c) => ranges.array(c));
  const out = new Map<string, { thread: string; basis: ActiveBasis }[]>();
  for (let r = 0; r < ranges.numRows(); r++) {
    if (!within[r]) continue;
    const key = `${trace[r]}\u0000${span[r]}`;
    const row = { thread: thread[r] as string, basis: basis[r] as ActiveBasis };
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
