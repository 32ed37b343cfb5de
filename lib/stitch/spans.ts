/**
 * The spans as stitching sees them. Only the columns below are read: the spans table's host,
 * instance and pid (the serving process from the tracer's tags) exist to verify a stitching and are
 * read by evaluate.ts alone, so stitching works the same when they are absent.
 */
import type { Table } from '../capture/types';
import { compareStrings } from '../capture/spans';

/** The span columns stitching reads. */
export const STITCH_SPAN_COLUMNS = ['trace_id', 'span_id', 'parent_id', 'trace_type', 'operation', 'service', 'start_ns', 'end_ns'] as const;

/** One span, times in ns from the capture's origin. */
export interface SpanRow {
  traceId: string;
  spanId: string;
  /** '' for a root. */
  parentId: string;
  traceType: string;
  operation: string;
  service: string;
  start: number;
  end: number;
}

/** The spans of a spans table (columns in lib/capture/types.ts), reading {@link STITCH_SPAN_COLUMNS} only. */
export function readSpans(spans: Table): SpanRow[] {
  const missing = STITCH_SPAN_COLUMNS.filter((c) => !spans.columnNames().includes(c));
  if (missing.length > 0) throw new Error(`spans table: missing column(s) ${missing.join(', ')}; expected the columns of lib/capture SPAN_COLUMNS`);
  const [trace, span, parent, type, op, service, start, end] = STITCH_SPAN_COLUMNS.map((c) => spans.array(c));
  return Array.from({ length: spans.numRows() }, (_, r) => ({
    traceId: String(trace[r]),
    spanId: String(span[r]),
    parentId: (parent[r] as string | null) ?? '',
    traceType: (type[r] as string | null) ?? '',
    operation: String(op[r]),
    service: String(service[r]),
    start: Number(start[r]),
    end: Number(end[r]),
  }));
}

/** Spans grouped by trace (traces in order of first appearance), each trace's spans by start, then span id. */
export function groupTraces(spans: readonly SpanRow[]): Map<string, SpanRow[]> {
  const traces = new Map<string, SpanRow[]>();
  for (const s of spans) {
    const list = traces.get(s.traceId);
    if (list) list.push(s);
    else traces.set(s.traceId, [s]);
  }
  for (const list of traces.values()) list.sort((a, b) => a.start - b.start || compareStrings(a.spanId, b.spanId));
  return traces;
}

/**
 * The key of each span of one trace (spans sorted as {@link groupTraces} gives them), which names
 * the same span across instances of a trace type: "service operation#k", k counting the spans of
 * the trace with that service and operation in start order from 1.
 */
export function spanKeys(trace: readonly SpanRow[]): Map<string, string> {
  const seen = new Map<string, number>();
  const keys = new Map<string, string>();
  for (const s of trace) {
    const base = `${s.service} ${s.operation}`;
    const k = (seen.get(base) ?? 0) + 1;
    seen.set(base, k);
    keys.set(s.spanId, `${base}#${k}`);
  }
  return keys;
}

/** A span's window widened by the tolerance on both sides. */
export function spanWindow(s: SpanRow, toleranceNs: number): [number, number] {
  return [s.start - toleranceNs, s.end + toleranceNs];
}


/**
 * Default clock-skew tolerance, 100 µs: a span's window is widened by this much on each side when
 * looking for its threads' syscalls and when checking that an active range lies within it. It
 * covers Jaeger's µs-truncated span times, the gap between a request's read() and the moment the
 * tracer starts the server span (tens of µs in a web framework), and the error of putting an eBPF
 * monotonic clock on the epoch; it stays well below Sock Shop's span durations (ms), so the
 * false-active check still separates threads. The paper gives none (its §4.2 example has spans 5 µs
 * apart, with ns syscall times).
 */
export const DEFAULT_TOLERANCE_NS = 100_000;

/** The kit's string comparator (lib/capture/spans), used for deterministic ties here. */
export { compareStrings };
