/**
 * Step 4 (paper §4.2): which thread serves which span of a trace, in a capture where each trace ran
 * alone (the isolated capture). A thread whose active range lies within several spans of its
 * service (nested spans) is given to the innermost, the shortest; that is the span's own thread.
 * A span left without an own thread but inside which the thread of an enclosing span of the same
 * service is active is served by that thread: the spans are merged, as the paper's call chain
 * func_A -> func_B -> func_C in one thread gives three spans and one thread.
 */
import * as aq from 'arquero';
import type { Table } from '../capture/types';
import { compareStrings, groupTraces, readSpans, spanKeys } from './spans';
import type { SpanRow } from './spans';

/** How a span is served: by threads of its own, by an enclosing span's thread, or by none seen. */
export type ServeRole = 'own' | 'merged' | 'none';

interface RangeRow {
  thread: string;
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
 * (ServeRole), thread, host, pid, tid, into (for 'merged': the span whose thread it shares), first_ns,
 * last_ns (the thread's active range). A span with several own threads has a row for each, in order
 * of their first signal; a span with role 'none' one row with empty thread and null host, pid, tid.
 */
export function serveSpans(ranges: Table, spans: Table): Table {
  const byTrace = rangeRows(ranges);
  const out = {
    trace_id: [] as string[], span_id: [] as string[], trace_type: [] as string[], service: [] as string[], operation: [] as string[],
    span_key: [] as string[], start_ns: [] as number[], end_ns: [] as number[], role: [] as ServeRole[], thread: [] as string[],
    host: [] as (string | null)[], pid: [] as (number | null)[], tid: [] as (number | null)[], into: [] as string[],
    first_ns: [] as (number | null)[], last_ns: [] as (number | null)[],
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
    out.thread.push(r?.thread ?? '');
    out.host.push(r?.host ?? null);
    out.pid.push(r?.pid ?? null);
    out.tid.push(r?.tid ?? null);
    out.into.push(into);
    out.first_ns.push(r?.first ?? null);
    out.last_ns.push(r?.last ?? null);
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
      if (mine) result = { span: s, threads: mine };
      else if (depth <= trace.length) {
        // The nearest enclosing span of the same service whose thread is active here.
        const here = rows.get(s.spanId) ?? [];
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

/** Own threads per span id: each thread to the innermost span containing its range; sorted by first signal. */
function ownThreads(trace: readonly SpanRow[], rows: ReadonlyMap<string, RangeRow[]>): Map<string, RangeRow[]> {
  const best = new Map<string, { span: SpanRow; row: RangeRow }>();
  for (const s of trace) {
    for (const r of rows.get(s.spanId) ?? []) {
      if (!r.within) continue;
      const b = best.get(r.thread);
      if (b === undefined || innerFirst(s, b.span) < 0) best.set(r.thread, { span: s, row: r });
    }
  }
  const own = new Map<string, RangeRow[]>();
  for (const { span, row } of best.values()) {
    const list = own.get(span.spanId);
    if (list) list.push(row);
    else own.set(span.spanId, [row]);
  }
  for (const list of own.values()) list.sort((a, b) => a.first - b.first || compareStrings(a.thread, b.thread));
  return own;
}

/** Shorter spans first, then later starts (the inner of two equal-length nested spans), then span id. */
function innerFirst(a: SpanRow, b: SpanRow): number {
  return a.end - a.start - (b.end - b.start) || b.start - a.start || compareStrings(a.spanId, b.spanId);
}

/** The ranges table's rows by trace, then span id. */
function rangeRows(ranges: Table): Map<string, Map<string, RangeRow[]>> {
  const cols = ['trace_id', 'span_id', 'thread', 'host', 'pid', 'tid', 'first_ns', 'last_ns', 'within'].map((c) => ranges.array(c));
  const out = new Map<string, Map<string, RangeRow[]>>();
  for (let r = 0; r < ranges.numRows(); r++) {
    const [trace, span, thread, host, pid, tid, first, last, within] = cols.map((c) => c[r]);
    let spans = out.get(trace as string);
    if (spans === undefined) out.set(trace as string, (spans = new Map()));
    const row: RangeRow = { thread: thread as string, host: host as string, pid: pid as number, tid: tid as number, first: first as number, last: last as number, within: within as boolean };
    const list = spans.get(span as string);
    if (list) list.push(row);
    else spans.set(span as string, [row]);
  }
  return out;
}
