/**
 * Hand-off categories of the spans of a simulated live capture, from the simulator's truth and its
 * runtime models (for evaluation only: no stitching method reads them).
 *
 * A deterministic eBPF tracer without context propagation through the runtime keys a request to the
 * thread that takes it off the socket, and charges the spans below it in the same service to that
 * thread (the tid-keying baseline). The key of a span is that thread: for a span whose parent is in
 * another service (or a root), the thread of the span's true process that makes the first receive
 * syscall (RECEIVES) in the span's window widened by the tolerance; for a span whose parent is in
 * the same service, its parent's key. Against the truth:
 *
 * - "one thread": the span's serving thread is its key: its work stayed on the thread that received
 *   the request (Node's event loop, a Tomcat worker that reads and serves).
 * - "new thread": the serving thread is one the request started for this work (the runtime model's
 *   role "async": orders' @Async calls, each on a new SimpleAsyncTaskExecutor thread).
 * - "thread pool": any other serving thread: the work moved to another thread of a pool (a Go
 *   goroutine resumed on another M after it parked, a worker pool's thread, a listener thread).
 * - "no receive": no thread of the span's process received anything in its window (no key).
 */
import { RECEIVES } from '../../lib/stitch/baselines';
import { DEFAULT_TOLERANCE_NS, groupTraces, readSpans, threadKey, threadSequences, type ThreadSeq } from '../../lib/stitch/index';
import { lowerBound } from '../../lib/stitch/threads';
import type { SimulatedLive } from './live';

/** The categories, in the order reports list them. */
export const HANDOFF_CATEGORIES = ['one thread', 'thread pool', 'new thread', 'no receive'] as const;

/** A span's hand-off category. */
export type HandoffCategory = (typeof HANDOFF_CATEGORIES)[number];

/** The key of a span in the maps below: trace id and span id. */
export function spanRef(traceId: string, spanId: string): string {
  return `${traceId}\u0000${spanId}`;
}

/** The category of every span of `live` that has a truth row, by {@link spanRef}. */
export function handoffCategories(live: SimulatedLive, toleranceNs = DEFAULT_TOLERANCE_NS): Map<string, HandoffCategory> {
  const truth = new Map<string, { process: string; thread: string }>();
  const [tTrace, tSpan, tHost, tPid, tTid] = ['trace_id', 'span_id', 'host', 'pid', 'tid'].map((c) => live.truth.array(c));
  for (let r = 0; r < live.truth.numRows(); r++) {
    truth.set(spanRef(tTrace[r] as string, tSpan[r] as string), {
      process: `${tHost[r]}/${tPid[r]}`,
      thread: threadKey(tHost[r] as string, tPid[r] as number, tTid[r] as number),
    });
  }
  const byProcess = new Map<string, ThreadSeq[]>();
  for (const t of threadSequences(live.syscalls, { keepUnknown: true })) {
    const k = `${t.host}/${t.pid}`;
    byProcess.set(k, [...(byProcess.get(k) ?? []), t]);
  }
  const out = new Map<string, HandoffCategory>();
  for (const trace of groupTraces(readSpans(live.spans)).values()) {
    const byId = new Map(trace.map((s) => [s.spanId, s]));
    const keys = new Map<string, string | null>();
    const keyOf = (spanId: string): string | null => {
      if (keys.has(spanId)) return keys.get(spanId)!;
      const s = byId.get(spanId)!;
      const parent = byId.get(s.parentId);
      let key: string | null;
      if (parent !== undefined && parent.service === s.service) key = keyOf(parent.spanId);
      else {
        const t = truth.get(spanRef(s.traceId, s.spanId));
        key = t === undefined ? null : firstReceiver(byProcess.get(t.process) ?? [], s.start - toleranceNs, s.end + toleranceNs);
      }
      keys.set(spanId, key);
      return key;
    };
    for (const s of trace) {
      const t = truth.get(spanRef(s.traceId, s.spanId));
      if (t === undefined) continue;
      const key = keyOf(s.spanId);
      const category: HandoffCategory =
        live.roles.get(t.thread) === 'async' ? 'new thread' : key === null ? 'no receive' : key === t.thread ? 'one thread' : 'thread pool';
      out.set(spanRef(s.traceId, s.spanId), category);
    }
  }
  return out;
}

/** The thread whose first receive in [a, b] comes first (null: none receives). */
function firstReceiver(threads: readonly ThreadSeq[], a: number, b: number): string | null {
  let best: string | null = null;
  let bestTs = Infinity;
  for (const t of threads) {
    for (let i = lowerBound(t.ts, a); i < t.ts.length && t.ts[i] <= b && t.ts[i] < bestTs; i++) {
      if (RECEIVES.has(t.syscalls[i])) {
        best = t.key;
        bestTs = t.ts[i];
        break;
      }
    }
  }
  return best;
}
