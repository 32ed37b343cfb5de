/**
 * Step 4 (paper §4.2): which thread serves which span of a trace, in a capture where each trace ran
 * alone (the isolated capture). A thread whose active range lies within several nested spans of its
 * service (descendants by parent links) is given to the innermost; that is the span's own thread. Among overlapping spans that do
 * not nest (parallel sibling calls, such as @Async methods) it goes to the one its range fits best
 * (overlap over union): with siblings of similar length the shortest is often the wrong one.
 * A thread that serves successive spans (a connection thread answering queries one after another)
 * is own to each.
 * A span left without an own thread but inside which the thread of an enclosing span of the same
 * service is active is served by that thread: the spans are merged, as the paper's call chain
 * func_A -> func_B -> func_C in one thread gives three spans and one thread. So is a span whose own
 * threads are only helpers: none is active over most of the span (COVER_FRACTION), as a span's own
 * thread is from receiving the call to answering it, while the enclosing span's thread signals
 * inside it (an event loop handing a lookup to a pool thread for a short burst). A thread created
 * for the span (an asynchronous method's thread) is active over all of it and keeps the span.
 * An enclosing span whose only thread was given to an inner span (the chain's outer spans) is own
 * to that thread too: the thread serves the whole chain.
 *
 * A span left with neither (no signal syscall of its service inside it, as when its work looks like
 * an idle routine: see signals.ts) is served by the thread with the most syscalls in its window
 * among those whose syscalls lie within it (activity of basis 'calls'); it is 'own' with basis
 * 'calls', so that the profile and the live stitching know to look for such threads. This goes
 * beyond the paper, where such a span would have no thread.
 */
import * as aq from 'arquero';
import type { Table } from '../capture/types';
import type { ActiveBasis } from './signals';
import { compareStrings, groupTraces, readSpans, spanKeys } from './spans';
import type { SpanRow } from './spans';

/** How a span is served: by threads of its own, by an enclosing span's thread, or by none seen. */
export type ServeRole = 'own' | 'merged' | 'none';

/**
 * The part of a span an own thread must be active over not to be taken for a helper (see above):
 * half, between a helper's short burst (libuv's pool threads cover under a tenth of a front-end
 * span) and a span's own thread (nine tenths and more, from reading the call to answering it).
 */
export const COVER_FRACTION = 0.5;

interface RangeRow {
  thread: string;
  basis: ActiveBasis;
  /** Syscalls in the span's window. */
  calls: number;
  host: string;
  pid: number;
  tid: number;
  first: number;
  last: number;
  within: boolean;
}

interface Serving {
  /** The span whose own threads serve this one (itself when own). */
  span: SpanRow;
  threads: RangeRow[];
}

/**
 * One row per (span, serving thread), from the active ranges table (activeRanges) and the spans:
 * trace_id, span_id, trace_type, service, operation, span_key (spanKeys), start_ns, end_ns, role
 * (ServeRole), basis (of an 'own' span's threads: 'signal' or 'calls'; '' otherwise), thread, host,
 * pid, tid, into (for 'merged': the span whose thread it shares), first_ns, last_ns (the thread's
 * active range), cover (the fraction of the span that range covers). A span with several own threads
 * has a row for each, its main thread first: the one whose range covers most of the span (then the
 * most syscalls in its window, then the first signal), since a span's own thread is active from
 * receiving the call to answering it while a thread that joins for part of the work is not; a span
 * with role 'none' one row with empty thread and null host, pid, tid.
 */
export function serveSpans(ranges: Table, spans: Table): Table {
  const byTrace = rangeRows(ranges);
  const out = {
    trace_id: [] as string[], span_id: [] as string[], trace_type: [] as string[], service: [] as string[], operation: [] as string[],
    span_key: [] as string[], start_ns: [] as number[], end_ns: [] as number[], role: [] as ServeRole[], basis: [] as string[], thread: [] as string[],
    host: [] as (string | null)[], pid: [] as (number | null)[], tid: [] as (number | null)[], into: [] as string[],
    first_ns: [] as (number | null)[], last_ns: [] as (number | null)[], cover: [] as (number | null)[],
  };
  const push = (s: SpanRow, key: string, role: ServeRole, r: RangeRow | null, into: string) => {
    out.trace_id.push(s.traceId);
    out.span_id.push(s.spanId);
    out.trace_type.push(s.traceType);
    out.service.push(s.service);
    out.operation.push(s.operation);
    out.span_key.push(key);
    out.start_ns.push(s.start);
    out.end_ns.push(s.end);
    out.role.push(role);
    out.basis.push(role === 'own' && r !== null ? r.basis : '');
    out.thread.push(r?.thread ?? '');
    out.host.push(r?.host ?? null);
    out.pid.push(r?.pid ?? null);
    out.tid.push(r?.tid ?? null);
    out.into.push(into);
    out.first_ns.push(r?.first ?? null);
    out.last_ns.push(r?.last ?? null);
    out.cover.push(r === null ? null : cover(r, s));
  };
  for (const [traceId, trace] of groupTraces(readSpans(spans))) {
    const keys = spanKeys(trace);
    const rows = byTrace.get(traceId) ?? new Map<string, RangeRow[]>();
    const own = ownThreads(trace, rows);
    const byId = new Map(trace.map((s) => [s.spanId, s]));
    const memo = new Map<string, Serving | null>();
    // Parent links that loop (malformed input) are cut after as many hops as the trace has spans.
    const serve = (s: SpanRow, depth: number): Serving | null => {
      if (memo.has(s.spanId)) return memo.get(s.spanId)!;
      let result: Serving | null = null;
      const mine = own.get(s.spanId);
      if (mine && mine.some((r) => cover(r, s) >= COVER_FRACTION)) result = { span: s, threads: mine };
      else if (depth <= trace.length) {
        // The nearest enclosing span of the same service whose thread is active here.
        const here = (rows.get(s.spanId) ?? []).filter((r) => r.basis === 'signal');
        let hops = 0;
        for (let p = byId.get(s.parentId); p !== undefined && hops++ <= trace.length; p = byId.get(p.parentId)) {
          if (p.service !== s.service) continue;
          const up = serve(p, depth + 1);
          // Its first thread (by first signal) that is active here.
          const t = up?.threads.find((u) => here.some((r) => r.thread === u.thread));
          const row = t && here.find((r) => r.thread === t.thread);
          if (up && row) {
            result = { span: up.span, threads: [row] };
            break;
          }
        }
      }
      // Helpers only, and no enclosing thread active here: the helpers serve the span.
      if (result === null && mine) result = { span: s, threads: mine };
      // The outer span of a chain: a thread that fits it serves an inner span too.
      const chain = (rows.get(s.spanId) ?? []).filter((r) => r.basis === 'signal' && r.within).sort(mainFirst(s));
      if (result === null && chain.length > 0) result = { span: s, threads: chain };
      if (result === null) {
        const quiet = (rows.get(s.spanId) ?? []).filter((r) => r.basis === 'calls' && r.within).sort(mainFirst(s));
        if (quiet.length > 0) result = { span: s, threads: [quiet[0]] };
      }
      memo.set(s.spanId, result);
      return result;
    };
    for (const s of trace) {
      const serving = serve(s, 0);
      if (serving === null) push(s, keys.get(s.spanId)!, 'none', null, '');
      else if (serving.span === s) for (const r of serving.threads) push(s, keys.get(s.spanId)!, 'own', r, '');
      else push(s, keys.get(s.spanId)!, 'merged', serving.threads[0], serving.span.spanId);
    }
  }
  return aq.table(out);
}

/**
 * Own threads per span id (basis 'signal'): each thread to the innermost of the nested spans (by
 * parent links) containing its range, and among overlapping spans that do not nest (sibling calls made in
 * parallel, as @Async methods are) to the one its range fits best; so to each of several
 * successive spans it serves. Main thread first.
 */
function ownThreads(trace: readonly SpanRow[], rows: ReadonlyMap<string, RangeRow[]>): Map<string, RangeRow[]> {
  const fits = new Map<string, { span: SpanRow; row: RangeRow }[]>();
  for (const s of trace) {
    for (const r of rows.get(s.spanId) ?? []) {
      if (!r.within || r.basis !== 'signal') continue;
      const list = fits.get(r.thread);
      if (list) list.push({ span: s, row: r });
      else fits.set(r.thread, [{ span: s, row: r }]);
    }
  }
  const own = new Map<string, RangeRow[]>();
  const byId = new Map(trace.map((s) => [s.spanId, s]));
  // Whether a is an ancestor of b by parent links (cut after as many hops as the trace has spans).
  const encloses = (a: SpanRow, b: SpanRow) => {
    let hops = 0;
    for (let p = byId.get(b.parentId); p !== undefined && hops++ <= trace.length; p = byId.get(p.parentId)) if (p === a) return true;
    return false;
  };
  for (const list of fits.values()) {
    // Spans that enclose another span the range fits are its outer spans (a call chain).
    const inner = list.filter(({ span }) => !list.some((o) => o.span !== span && encloses(span, o.span)));
    for (const { span, row } of inner) {
      const better = inner.some((o) => o.span !== span && overlaps(o.span, span) && (fit(o.row, o.span) - fit(row, span) || compareStrings(span.spanId, o.span.spanId)) > 0);
      if (better) continue;
      const mine = own.get(span.spanId);
      if (mine) mine.push(row);
      else own.set(span.spanId, [row]);
    }
  }
  for (const [id, list] of own) list.sort(mainFirst(byId.get(id)!));
  return own;
}

function overlaps(a: SpanRow, b: SpanRow): boolean {
  return a.start <= b.end && a.end >= b.start;
}

/** How well a range fits a span: their overlap over their union (1 when they coincide). */
function fit(r: RangeRow, s: SpanRow): number {
  const union = Math.max(r.last, s.end) - Math.min(r.first, s.start);
  return union > 0 ? Math.max(0, Math.min(r.last, s.end) - Math.max(r.first, s.start)) / union : 1;
}

/** The fraction of the span's duration that the thread's active range covers. */
function cover(r: RangeRow, s: SpanRow): number {
  return s.end > s.start ? Math.max(0, Math.min(r.last, s.end) - Math.max(r.first, s.start)) / (s.end - s.start) : 1;
}

/** Main thread first: the most cover of the span, then the most syscalls in its window, the earliest range, the thread key. */
function mainFirst(s: SpanRow): (a: RangeRow, b: RangeRow) => number {
  return (a, b) => cover(b, s) - cover(a, s) || b.calls - a.calls || a.first - b.first || compareStrings(a.thread, b.thread);
}

/** The ranges table's rows by trace, then span id. */
function rangeRows(ranges: Table): Map<string, Map<string, RangeRow[]>> {
  const cols = ['trace_id', 'span_id', 'thread', 'host', 'pid', 'tid', 'first_ns', 'last_ns', 'within', 'basis', 'calls'].map((c) => ranges.array(c));
  const out = new Map<string, Map<string, RangeRow[]>>();
  for (let r = 0; r < ranges.numRows(); r++) {
    const [trace, span, thread, host, pid, tid, first, last, within, basis, calls] = cols.map((c) => c[r]);
    let spans = out.get(trace as string);
    if (spans === undefined) out.set(trace as string, (spans = new Map()));
    const row: RangeRow = { thread: thread as string, host: host as string, pid: pid as number, tid: tid as number, first: first as number, last: last as number, within: within as boolean, basis: basis as ActiveBasis, calls: calls as number };
    const list = spans.get(span as string);
    if (list) list.push(row);
    else spans.set(span as string, [row]);
  }
  return out;
}
