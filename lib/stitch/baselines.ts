/**
 * Baselines: simpler ways to give each span a serving thread, so that experiments can tell what the
 * learned models earn. Each reads the same inputs as Deepstitch's live phase (the spans without
 * their process tags, the threads' syscalls, and for some the idle models' signals) and returns a
 * table that {@link evaluate} scores like stitchTraces' own.
 *
 * - random: a seeded uniform pick among the span's active threads (a signal syscall inside the
 *   span), or among the threads with a syscall in its window when none is active.
 * - overlap: the thread with the most syscalls inside the span (timing overlap).
 * - fifo: the thread whose first signal syscall after the span starts comes first (the first
 *   idle-to-active transition: a FIFO / delay model of request dispatch).
 * - tid-keying: what a deterministic eBPF tracer does without propagating context through the
 *   runtime: a request entering a service is keyed to the thread that first receives on a socket
 *   inside its span, and every span of the same service below it is charged to that thread. Right
 *   while the request stays on one thread, wrong after a hand-off to a pool or a new thread.
 * - local: the local view of Deepstitch, idle models only: the thread with the most signal
 *   syscalls inside the span (ties: the lower mean idle score), no global sequence, no profile.
 */
import * as aq from 'arquero';
import type { Table } from '../capture/types';
import { Rng } from '../sim/rng';
import type { Signals, ThreadSignals, WindowOptions } from './signals';
import { DEFAULT_TOLERANCE_NS, compareStrings, groupTraces, readSpans, spanWindow } from './spans';
import type { SpanRow } from './spans';
import { STITCHED } from './stitch';
import { lowerBound, rangeCount, rangeOf } from './threads';

/** The baselines, in the order experiments list them. */
export const BASELINES = ['random', 'overlap', 'fifo', 'tid-keying', 'local'] as const;

/** A baseline's name. */
export type BaselineName = (typeof BASELINES)[number];

/** Options of {@link stitchBaseline}. */
export interface BaselineOptions extends WindowOptions {
  /** Seed of the random baseline (default 1). */
  seed?: number;
}

/** Syscalls by which a thread takes a request off a socket (the first one a tid-keying tracer sees). */
export const RECEIVES: ReadonlySet<string> = new Set(['read', 'readv', 'recvfrom', 'recvmsg', 'recvmmsg', 'accept', 'accept4']);

/**
 * Gives every span of `spans` a thread of its service by one baseline. `signals` holds the threads
 * per service (detectSignals with the idle models; the random, overlap and tid-keying baselines read
 * only its threads' syscalls, fifo and local also its signal syscalls). One row per span: trace_id,
 * span_id, trace_type, service, operation, status ({@link STITCHED}, or why not), thread, host,
 * pid, tid, method.
 */
export function stitchBaseline(name: BaselineName, spans: Table, signals: Signals, opts: BaselineOptions = {}): Table {
  if (!BASELINES.includes(name)) throw new Error(`unknown baseline ${JSON.stringify(name)}; expected one of ${BASELINES.join(', ')}`);
  const tol = opts.toleranceNs ?? DEFAULT_TOLERANCE_NS;
  const rng = new Rng(opts.seed ?? 1).fork(name);
  const cols = {
    trace_id: [] as string[], span_id: [] as string[], trace_type: [] as string[], service: [] as string[], operation: [] as string[],
    status: [] as string[], thread: [] as (string | null)[], host: [] as (string | null)[], pid: [] as (number | null)[], tid: [] as (number | null)[],
    method: [] as string[],
  };
  for (const trace of groupTraces(readSpans(spans)).values()) {
    const byId = new Map(trace.map((s) => [s.spanId, s]));
    const chosen = new Map<string, ThreadSignals | null>();
    // Spans are in start order, so a parent is decided before its children.
    for (const s of trace) {
      const threads = signals.byService.get(s.service) ?? [];
      const parent = byId.get(s.parentId);
      let pick: ThreadSignals | null;
      if (name === 'tid-keying' && parent !== undefined && parent.service === s.service) pick = chosen.get(parent.spanId) ?? null;
      else pick = choose(name, s, threads, tol, rng);
      chosen.set(s.spanId, pick);
      cols.trace_id.push(s.traceId);
      cols.span_id.push(s.spanId);
      cols.trace_type.push(s.traceType);
      cols.service.push(s.service);
      cols.operation.push(s.operation);
      cols.status.push(pick ? STITCHED : 'no thread of the service qualifies');
      cols.thread.push(pick?.thread.key ?? null);
      cols.host.push(pick?.thread.host ?? null);
      cols.pid.push(pick?.thread.pid ?? null);
      cols.tid.push(pick?.thread.tid ?? null);
      cols.method.push(name);
    }
  }
  return aq.table(cols);
}

/** One span's thread under a baseline (tid-keying's inherited case is handled by the caller). */
function choose(name: BaselineName, s: SpanRow, threads: readonly ThreadSignals[], tol: number, rng: Rng): ThreadSignals | null {
  const [a, b] = spanWindow(s, tol);
  const inWindow = threads.filter((t) => rangeCount(t.thread.ts, a, b) > 0);
  const signalsIn = (t: ThreadSignals) => rangeCount(t.signalTs, s.start, s.end);
  switch (name) {
    case 'random': {
      const active = inWindow.filter((t) => signalsIn(t) > 0);
      const pool = active.length > 0 ? active : inWindow;
      return pool.length === 0 ? null : pool[Math.floor(rng.next() * pool.length)];
    }
    case 'overlap':
      return best(inWindow, (t) => rangeCount(t.thread.ts, s.start, s.end));
    case 'fifo':
      return best(
        inWindow.filter((t) => signalsIn(t) > 0),
        (t) => -t.signalTs[lowerBound(t.signalTs, s.start)],
      );
    case 'tid-keying':
      return best(
        inWindow.filter((t) => firstReceive(t, a, b) < Infinity),
        (t) => -firstReceive(t, a, b),
      );
    case 'local':
      return best(
        inWindow.filter((t) => signalsIn(t) > 0),
        (t) => signalsIn(t) - meanScore(t, s.start, s.end) / 2,
      );
  }
}

/** The thread with the highest value (ties: the smaller thread key, so that the pick is deterministic). */
function best(threads: readonly ThreadSignals[], value: (t: ThreadSignals) => number): ThreadSignals | null {
  let top: ThreadSignals | null = null;
  let topValue = -Infinity;
  for (const t of threads) {
    const v = value(t);
    if (v > topValue || (v === topValue && top !== null && compareStrings(t.thread.key, top.thread.key) < 0)) {
      top = t;
      topValue = v;
    }
  }
  return top;
}

/** The time of the thread's first receive in [a, b], Infinity if none. */
function firstReceive(t: ThreadSignals, a: number, b: number): number {
  const [from, to] = rangeOf(t.thread.ts, a, b);
  for (let i = from; i < to; i++) if (RECEIVES.has(t.thread.syscalls[i])) return t.thread.ts[i];
  return Infinity;
}

/** Mean idle score of the thread's scored syscalls in [a, b] (0..1; 1 when none is scored). */
function meanScore(t: ThreadSignals, a: number, b: number): number {
  const [from, to] = rangeOf(t.thread.ts, a, b);
  let sum = 0;
  let n = 0;
  for (let i = from; i < to; i++) {
    if (Number.isNaN(t.scores[i])) continue;
    sum += t.scores[i];
    n++;
  }
  return n === 0 ? 1 : sum / n;
}
