/**
 * Spans as the services' tracers emit them, and the ground truth of which thread served each.
 *
 * Truth rule: a span is served by the thread that made the most syscalls of the span's own flow
 * of control (the fiber that opened it: its request handler, callback chain or goroutine) while the
 * span was that flow's innermost open span; ties go to the thread of the latest such syscall.
 * Helper work handed to other threads (libuv's getaddrinfo and file reads, GC) is not the span's
 * own flow and is not counted, so a front-end span is its event loop's even while a libuv thread
 * resolves a name for it, and a Go span is the M that ran most of its goroutine.
 */
import * as aq from 'arquero';
import type { Table } from '../capture/types';
import { compareStrings } from '../capture/spans';
import { call, type Fiber, type ProcessRef, type Routine, type SimThread } from './engine';
import type { Rng } from './rng';
import type { Ctx, Proc } from './world';

/** Span kinds the simulator emits. */
export type SimSpanKind = 'server' | 'client' | 'consumer';

interface TraceRec {
  id: string;
  type: string;
  /** Open spans plus messages in flight (an async hop not yet consumed). */
  holds: number;
  started: boolean;
  complete: boolean;
  onDone: (() => void) | null;
}

/** The spans of a simulation, their traces, and what each thread did for them. */
export class SpanLog {
  private readonly traces: TraceRec[] = [];
  private readonly trace: number[] = [];
  private readonly spanId: string[] = [];
  private readonly parent: number[] = [];
  private readonly operation: string[] = [];
  private readonly service: string[] = [];
  private readonly kind: SimSpanKind[] = [];
  private readonly start: number[] = [];
  private readonly end: number[] = [];
  private readonly proc: ProcessRef[] = [];
  private readonly opener: SimThread[] = [];
  private readonly counted: Map<SimThread, number>[] = [];
  private readonly last: (SimThread | null)[] = [];
  /** The fiber's span before each span opened, restored when it closes. */
  private readonly outer: number[] = [];

  constructor(private readonly rng: Rng) {}

  /** Starts a trace whose root will be an operation named `type`; returns its index. */
  newTrace(type: string): number {
    this.traces.push({ id: this.rng.hex(32), type, holds: 0, started: false, complete: false, onDone: null });
    return this.traces.length - 1;
  }

  /**
   * Opens a span at `t` on thread `th` for `fiber`, which counts its syscalls for the span until
   * it closes; `parent` -1 for the root. Returns its index.
   */
  open(trace: number, parent: number, operation: string, kind: SimSpanKind, proc: ProcessRef, th: SimThread, t: number, fiber: Fiber | null): number {
    const tr = this.traces[trace];
    tr.holds++;
    tr.started = true;
    this.trace.push(trace);
    this.spanId.push(this.rng.hex(16));
    this.parent.push(parent);
    this.operation.push(operation);
    this.service.push(proc.service);
    this.kind.push(kind);
    this.start.push(t);
    this.end.push(-1);
    this.proc.push(proc);
    this.opener.push(th);
    this.counted.push(new Map());
    this.last.push(null);
    this.outer.push(fiber === null ? -1 : fiber.span);
    const id = this.spanId.length - 1;
    if (fiber !== null) fiber.span = id;
    return id;
  }

  /** Closes span `span` at `t`; `fiber` goes back to counting for its outer span. */
  close(span: number, t: number, fiber: Fiber | null): void {
    this.end[span] = t;
    if (fiber !== null) fiber.span = this.outer[span];
    this.release(this.trace[span]);
  }

  /** Keeps trace `trace` open while work for it is in flight outside any span (a queued message). */
  hold(trace: number): void {
    this.traces[trace].holds++;
  }

  /** Ends a hold; the trace is complete when nothing holds it. */
  release(trace: number): void {
    const tr = this.traces[trace];
    if (--tr.holds === 0) {
      tr.complete = true;
      const fn = tr.onDone;
      tr.onDone = null;
      if (fn !== null) fn();
    }
  }

  /** Calls `fn` once trace `trace` is complete. */
  whenDone(trace: number, fn: () => void): void {
    const tr = this.traces[trace];
    if (tr.complete) fn();
    else tr.onDone = fn;
  }

  /** Counts one syscall of span `span`'s own flow, made by `th`. */
  count(span: number, th: SimThread): void {
    const m = this.counted[span];
    m.set(th, (m.get(th) ?? 0) + 1);
    this.last[span] = th;
  }

  /** The thread that served span `span` (see the rule at the top of this file). */
  servedBy(span: number): SimThread {
    let best: SimThread = this.last[span] ?? this.opener[span];
    let most = this.counted[span].get(best) ?? 0;
    for (const [th, n] of this.counted[span]) {
      if (n > most) {
        best = th;
        most = n;
      }
    }
    return best;
  }

  /**
   * The spans and truth tables of the traces that completed with all their spans in [from, to)
   * (true time), each span on its host's clock (true time + `hostSkewNs`), cut to whole µs
   * (start down, end up) as tracers report them. Rows in span order.
   */
  tables(from: number, to: number, hostSkewNs: ReadonlyMap<string, number>): { spans: Table; truth: Table; traces: number } {
    const keep = this.traces.map((tr) => tr.complete && tr.started);
    for (let s = 0; s < this.trace.length; s++) {
      if (this.start[s] < from || this.end[s] < 0 || this.end[s] >= to) keep[this.trace[s]] = false;
    }
    const rows: number[] = [];
    for (let s = 0; s < this.trace.length; s++) if (keep[this.trace[s]]) rows.push(s);
    const skew = (s: number) => hostSkewNs.get(this.proc[s].host) ?? 0;
    const startUs = (s: number) => Math.floor((this.start[s] + skew(s)) / 1000);
    const idOf = (s: number) => this.traces[this.trace[s]].id;
    // the order loadCapture gives: start, trace id, span id
    rows.sort((a, b) => startUs(a) - startUs(b) || compareStrings(idOf(a), idOf(b)) || compareStrings(this.spanId[a], this.spanId[b]));
    const str = (f: (s: number) => string) => rows.map(f);
    const spans = aq.table({
      trace_id: str(idOf),
      span_id: str((s) => this.spanId[s]),
      parent_id: str((s) => (this.parent[s] < 0 ? '' : this.spanId[this.parent[s]])),
      trace_type: str((s) => this.traces[this.trace[s]].type),
      operation: str((s) => this.operation[s]),
      service: str((s) => this.service[s]),
      kind: str((s) => this.kind[s]),
      start_ns: Float64Array.from(rows, (s) => startUs(s) * 1000),
      end_ns: Float64Array.from(rows, (s) => Math.ceil((this.end[s] + skew(s)) / 1000) * 1000),
      host: str((s) => this.proc[s].host),
      instance: str((s) => this.proc[s].instance),
      pid: rows.map((s) => this.proc[s].pid),
    });
    const served = rows.map((s) => this.servedBy(s));
    const truth = aq.table({
      trace_id: str(idOf),
      span_id: str((s) => this.spanId[s]),
      host: served.map((th) => th.proc.host),
      pid: served.map((th) => th.proc.pid),
      tid: served.map((th) => th.tid),
    });
    return { spans, truth, traces: keep.filter(Boolean).length };
  }
}

/** Opens a span of `p`'s service for the running fiber now; returns the span. */
export function* openSpan(p: Proc, ctx: Ctx, operation: string, kind: SimSpanKind): Routine<number> {
  return (yield call((th, f) => p.w.spans.open(ctx.trace, ctx.parent, operation, kind, p, th, th.t, f))) as number;
}

/** Closes `span` now; it waits in `p`'s tracer for the reporter. */
export function* closeSpan(p: Proc, span: number): Routine {
  yield call((th, f) => {
    p.w.spans.close(span, th.t, f);
    p.unreported++;
  });
}
