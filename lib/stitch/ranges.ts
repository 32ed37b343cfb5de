/**
 * Step 3 (paper §4.2): active ranges and false-active threads. Parallel spans of one trace in one
 * service each see the threads serving the others as active too. A thread's active range for a span
 * is its first to last signal syscall (for an active thread of basis 'calls', its first to last
 * syscall) within the span and the spans of the same trace and service that overlap it, widened by
 * the tolerance; the thread belongs only to spans that contain its range, and is a false active
 * thread of the others.
 *
 * The paper's example has two overlapping spans. Only overlapping spans enter the range: a thread
 * that serves several spans of a trace one after the other (a database connection thread answering
 * a service's successive queries) then fits each of them, where a range over all the trace's spans
 * of the service would fit none. A span with no overlapping span of its service therefore excludes
 * no thread, as in the paper, where a thread's range is read from its signals in the spans that
 * see it active. Widening a lone span's range beyond it (by 0.1, 0.5 or 1 span duration) was
 * measured on the bundled live capture and is wrong for every pooled runtime: an event loop, a Go
 * M or a Tomcat worker signals for the next request right after, so the true thread is excluded
 * (per-trace thread accuracy of GET /login fell from 87% to 0-20% with n-gram models).
 *
 * Where the check applies (spans with overlapping spans of their service) it excluded 1,677 of
 * 4,407 (span, signalling thread) rows of the bundled live capture with the LSTM models, 492 of them
 * the true thread (29%, mostly Go Ms shared by sibling spans); planTraces therefore keeps a span's
 * false-active threads when it has no other. With that fallback the check raises POST /orders
 * from 93.5 / 78.6% to 94.8 / 86.1% of spans right at process / thread level (LSTM), and changes
 * no other trace type. The tolerance (spans.ts DEFAULT_TOLERANCE_NS) absorbs clock skew.
 */
import * as aq from 'arquero';
import type { Table } from '../capture/types';
import type { Signals, WindowOptions } from './signals';
import { DEFAULT_TOLERANCE_NS, groupTraces, readSpans } from './spans';
import type { SpanRow } from './spans';
import { rangeOf } from './threads';

/**
 * The active threads table (activeThreads) with each thread's active range and whether it lies
 * within the span: first_ns, last_ns (see above) and within (first_ns >= start - tolerance and
 * last_ns <= end + tolerance; false marks a false active thread).
 */
export function activeRanges(active: Table, spans: Table, signals: Signals, opts: WindowOptions = {}): Table {
  const tol = opts.toleranceNs ?? DEFAULT_TOLERANCE_NS;
  const spanOf = new Map<string, SpanRow>();
  const hulls = new Map<string, [number, number]>();
  for (const trace of groupTraces(readSpans(spans)).values()) {
    for (const s of trace) {
      spanOf.set(`${s.traceId}\u0000${s.spanId}`, s);
      let [a, b] = [s.start, s.end];
      for (const o of trace) {
        if (o.service === s.service && o.start <= s.end && o.end >= s.start) [a, b] = [Math.min(a, o.start), Math.max(b, o.end)];
      }
      hulls.set(`${s.traceId}\u0000${s.spanId}`, [a - tol, b + tol]);
    }
  }
  const [traceIds, spanIds, threads, bases] = ['trace_id', 'span_id', 'thread', 'basis'].map((c) => active.array(c) as string[]);
  const n = active.numRows();
  const first = new Float64Array(n);
  const last = new Float64Array(n);
  const within = new Array<boolean>(n);
  for (let r = 0; r < n; r++) {
    const key = `${traceIds[r]}\u0000${spanIds[r]}`;
    const s = spanOf.get(key);
    const t = signals.threads.get(threads[r]);
    if (s === undefined || t === undefined) throw new Error(`activeRanges: row ${r} (trace ${traceIds[r]}, span ${spanIds[r]}, thread ${threads[r]}) is not in the spans or the signals given; pass the ones activeThreads used`);
    const [a, b] = hulls.get(key)!;
    const ts = bases[r] === 'calls' ? t.thread.ts : t.signalTs;
    const [from, to] = rangeOf(ts, a, b);
    first[r] = ts[from];
    last[r] = ts[to - 1];
    within[r] = first[r] >= s.start - tol && last[r] <= s.end + tol;
  }
  return active.assign(aq.table({ first_ns: first, last_ns: last, within }));
}
