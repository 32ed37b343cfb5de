/**
 * Step 3 (paper §4.2): active ranges and false-active threads. Parallel spans of one trace in one
 * service each see the threads serving the others as active too. A thread's active range is its
 * first to last signal syscall within the trace's time in that service (the hull of the trace's
 * spans of the service, widened by the tolerance); the thread belongs only to spans that contain
 * its range, and is a false active thread of the others.
 */
import * as aq from 'arquero';
import type { Table } from '../capture/types';
import type { Signals, WindowOptions } from './signals';
import { DEFAULT_TOLERANCE_NS, groupTraces, readSpans } from './spans';
import type { SpanRow } from './spans';
import { rangeOf } from './threads';

/**
 * The active threads table (activeThreads) with each thread's active range and whether it lies
 * within the span: first_ns, last_ns (its first and last signal syscall in the hull of the trace's
 * spans of its service) and within (first_ns >= start - tolerance and last_ns <= end + tolerance;
 * false marks a false active thread).
 */
export function activeRanges(active: Table, spans: Table, signals: Signals, opts: WindowOptions = {}): Table {
  const tol = opts.toleranceNs ?? DEFAULT_TOLERANCE_NS;
  const spanOf = new Map<string, SpanRow>();
  const hulls = new Map<string, [number, number]>();
  for (const trace of groupTraces(readSpans(spans)).values()) {
    for (const s of trace) {
      spanOf.set(`${s.traceId}\u0000${s.spanId}`, s);
      const key = `${s.traceId}\u0000${s.service}`;
      const h = hulls.get(key);
      hulls.set(key, h ? [Math.min(h[0], s.start - tol), Math.max(h[1], s.end + tol)] : [s.start - tol, s.end + tol]);
    }
  }
  const [traceIds, spanIds, threads] = ['trace_id', 'span_id', 'thread'].map((c) => active.array(c) as string[]);
  const n = active.numRows();
  const first = new Float64Array(n);
  const last = new Float64Array(n);
  const within = new Array<boolean>(n);
  for (let r = 0; r < n; r++) {
    const s = spanOf.get(`${traceIds[r]}\u0000${spanIds[r]}`);
    const t = signals.threads.get(threads[r]);
    if (s === undefined || t === undefined) throw new Error(`activeRanges: row ${r} (trace ${traceIds[r]}, span ${spanIds[r]}, thread ${threads[r]}) is not in the spans or the signals given; pass the ones activeThreads used`);
    const [a, b] = hulls.get(`${s.traceId}\u0000${s.service}`)!;
    const [from, to] = rangeOf(t.signalTs, a, b);
    first[r] = t.signalTs[from];
    last[r] = t.signalTs[to - 1];
    within[r] = first[r] >= s.start - tol && last[r] <= s.end + tol;
  }
  return active.assign(aq.table({ first_ns: first, last_ns: last, within }));
}
