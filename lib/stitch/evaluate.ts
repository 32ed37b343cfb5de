/**
 * Verification (paper §4.5): stitched spans against the truth, at process level, (host, pid) right
 * (the paper's PID check), and at thread level, (host, pid, tid) right, per trace type. This is the
 * one stitching module that reads who served a span, and it reads it from the truth table only.
 */
import * as aq from 'arquero';
import type { Table } from '../capture/types';
import { compareStrings } from './spans';
import { STITCHED } from './stitch';

/** Counts and accuracies of a set of traces. */
export interface Accuracy {
  /** Traces with at least one evaluated span. */
  traces: number;
  /** Evaluated spans: every span with a truth row, whether the stitching has a row for it or not. */
  spans: number;
  stitched: number;
  /** Truth spans the stitched table has no row for (counted as wrong). */
  missing: number;
  /** stitched / spans: the fraction of the evaluated spans given a thread. */
  coverage: number;
  /** Stitched rows without a truth row (not evaluated). */
  no_truth: number;
  process_ok: number;
  thread_ok: number;
  /** process_ok / spans and thread_ok / spans; a span left unstitched or missing counts as wrong. */
  acc_process: number;
  acc_thread: number;
  /** Traces whose every evaluated span is right, and their fraction of traces. */
  traces_process_ok: number;
  traces_thread_ok: number;
  trace_acc_process: number;
  trace_acc_thread: number;
  /**
   * Services of a typical trace: the most frequent number of distinct services in one trace (ties:
   * the smaller), the "services involved" of the paper's Table 2. Not the union over the traces:
   * traces of one type may each reach a different service (GET /health probes one service each).
   */
  services: number;
}

/** The evaluation: per span, per trace type, overall. */
export interface Evaluation {
  /** Stitched rows with a truth row: trace_id, span_id, trace_type, service, status, host, pid, tid, truth_host, truth_pid, truth_tid, process_ok, thread_ok. */
  spans: Table;
  /** One row per trace type (sorted), the columns of {@link Accuracy} after trace_type. */
  byType: Table;
  overall: Accuracy;
  /**
   * Truth rows that repeat an earlier row of the same span with the same (host, pid, tid): each span
   * is evaluated once whatever its copies. (A span whose copies disagree is an error.)
   */
  duplicate_truth: number;
}

/** The status, in Evaluation.spans, of a truth span that the stitched table has no row for. */
const MISSING = 'missing';

interface Row {
  trace: string;
  type: string;
  service: string;
  stitched: boolean;
  process: boolean;
  thread: boolean;
  hasTruth: boolean;
  /** False for a truth span without a stitched row. */
  present: boolean;
}

/**
 * Evaluates stitchTraces' table against a truth table (trace_id, span_id, host, pid, tid). Every
 * truth span counts: one the stitched table lacks is wrong at both levels (status 'missing' in
 * Evaluation.spans), so a stitcher cannot raise its accuracy by dropping spans. Its trace type is
 * read from `spans` (the live spans table) when given, else from another span of its trace in the
 * stitched table (every span of a trace has its root's type), else it is '' (a trace the
 * stitching never saw); an empty type is never taken over a known one. Truth rows repeating a
 * span are counted once (Evaluation.duplicate_truth); copies that disagree on its thread throw,
 * naming the span.
 */
export function evaluate(stitched: Table, truth: Table, spans?: Table): Evaluation {
  const [tTrace, tSpan, tHost, tPid, tTid] = ['trace_id', 'span_id', 'host', 'pid', 'tid'].map((c) => truth.array(c));
  const truthOf = new Map<string, { trace: string; span: string; host: string; pid: number; tid: number }>();
  let duplicates = 0;
  for (let r = 0; r < truth.numRows(); r++) {
    const key = `${tTrace[r]}\u0000${tSpan[r]}`;
    const t = { trace: tTrace[r] as string, span: tSpan[r] as string, host: tHost[r] as string, pid: tPid[r] as number, tid: tTid[r] as number };
    const prev = truthOf.get(key);
    if (prev === undefined) truthOf.set(key, t);
    else if (prev.host === t.host && prev.pid === t.pid && prev.tid === t.tid) duplicates++;
    else throw new Error(`evaluate: truth has span ${t.trace}/${t.span} twice with different threads: ${prev.host}/${prev.pid}/${prev.tid} and ${t.host}/${t.pid}/${t.tid}`);
  }
  const [trace, span, type, service, status, host, pid, tid] = ['trace_id', 'span_id', 'trace_type', 'service', 'status', 'host', 'pid', 'tid'].map((c) => stitched.array(c));
  const rows: Row[] = [];
  const out = {
    trace_id: [] as string[], span_id: [] as string[], trace_type: [] as string[], service: [] as string[], status: [] as string[],
    host: [] as (string | null)[], pid: [] as (number | null)[], tid: [] as (number | null)[],
    truth_host: [] as string[], truth_pid: [] as number[], truth_tid: [] as number[], process_ok: [] as boolean[], thread_ok: [] as boolean[],
  };
  for (let r = 0; r < stitched.numRows(); r++) {
    const t = truthOf.get(`${trace[r]}\u0000${span[r]}`);
    const ok = status[r] === STITCHED;
    const process = t !== undefined && ok && host[r] === t.host && pid[r] === t.pid;
    const thread = process && tid[r] === t!.tid;
    rows.push({ trace: trace[r] as string, type: type[r] as string, service: service[r] as string, stitched: ok, process, thread, hasTruth: t !== undefined, present: true });
    if (t === undefined) continue;
    out.trace_id.push(trace[r] as string);
    out.span_id.push(span[r] as string);
    out.trace_type.push(type[r] as string);
    out.service.push(service[r] as string);
    out.status.push(status[r] as string);
    out.host.push(host[r] as string | null);
    out.pid.push(pid[r] as number | null);
    out.tid.push(tid[r] as number | null);
    out.truth_host.push(t.host);
    out.truth_pid.push(t.pid);
    out.truth_tid.push(t.tid);
    out.process_ok.push(process);
    out.thread_ok.push(thread);
  }
  // Truth spans without a stitched row: wrong, in their trace's type.
  const seen = new Set<string>();
  const typeOf = new Map<string, string>();
  for (let r = 0; r < stitched.numRows(); r++) {
    seen.add(`${trace[r]}\u0000${span[r]}`);
    if (type[r]) typeOf.set(trace[r] as string, type[r] as string);
  }
  const serviceOf = new Map<string, string>();
  if (spans) {
    const [sTrace, sSpan, sType, sService] = ['trace_id', 'span_id', 'trace_type', 'service'].map((c) => spans.array(c));
    for (let r = 0; r < spans.numRows(); r++) {
      if (sType[r]) typeOf.set(sTrace[r] as string, sType[r] as string);
      serviceOf.set(`${sTrace[r]}\u0000${sSpan[r]}`, sService[r] as string);
    }
  }
  for (const [key, t] of truthOf) {
    if (seen.has(key)) continue;
    const row = { trace: t.trace, type: typeOf.get(t.trace) ?? '', service: serviceOf.get(key) ?? '' };
    rows.push({ ...row, stitched: false, process: false, thread: false, hasTruth: true, present: false });
    out.trace_id.push(row.trace);
    out.span_id.push(t.span);
    out.trace_type.push(row.type);
    out.service.push(row.service);
    out.status.push(MISSING);
    out.host.push(null);
    out.pid.push(null);
    out.tid.push(null);
    out.truth_host.push(t.host);
    out.truth_pid.push(t.pid);
    out.truth_tid.push(t.tid);
    out.process_ok.push(false);
    out.thread_ok.push(false);
  }
  const types = [...new Set(rows.map((r) => r.type))].sort(compareStrings);
  const perType = types.map((t) => accuracy(rows.filter((r) => r.type === t)));
  const byType = aq.table({
    trace_type: types,
    ...Object.fromEntries(ACCURACY_COLUMNS.map((c) => [c, perType.map((a) => a[c])])),
  });
  return { spans: aq.table(out), byType, overall: accuracy(rows), duplicate_truth: duplicates };
}

const ACCURACY_COLUMNS = [
  'traces', 'spans', 'stitched', 'missing', 'coverage', 'no_truth', 'process_ok', 'thread_ok', 'acc_process', 'acc_thread',
  'traces_process_ok', 'traces_thread_ok', 'trace_acc_process', 'trace_acc_thread', 'services',
] as const satisfies readonly (keyof Accuracy)[];

function accuracy(all: readonly Row[]): Accuracy {
  const rows = all.filter((r) => r.hasTruth);
  const traces = new Map<string, { process: boolean; thread: boolean }>();
  for (const r of rows) {
    const t = traces.get(r.trace) ?? { process: true, thread: true };
    traces.set(r.trace, { process: t.process && r.process, thread: t.thread && r.thread });
  }
  const count = (f: (r: Row) => boolean) => rows.filter(f).length;
  const process_ok = count((r) => r.process);
  const thread_ok = count((r) => r.thread);
  const traces_process_ok = [...traces.values()].filter((t) => t.process).length;
  const traces_thread_ok = [...traces.values()].filter((t) => t.thread).length;
  return {
    traces: traces.size,
    spans: rows.length,
    stitched: count((r) => r.stitched),
    missing: count((r) => !r.present),
    coverage: ratio(count((r) => r.stitched), rows.length),
    no_truth: all.length - rows.length,
    process_ok,
    thread_ok,
    acc_process: ratio(process_ok, rows.length),
    acc_thread: ratio(thread_ok, rows.length),
    traces_process_ok,
    traces_thread_ok,
    trace_acc_process: ratio(traces_process_ok, traces.size),
    trace_acc_thread: ratio(traces_thread_ok, traces.size),
    services: typicalServices(all),
  };
}

/** The most frequent count of distinct services per trace, the smaller on a tie; 0 without rows. */
function typicalServices(rows: readonly Row[]): number {
  const perTrace = new Map<string, Set<string>>();
  for (const r of rows) {
    if (r.service === '') continue; // a missing span whose service is unknown
    const set = perTrace.get(r.trace);
    if (set) set.add(r.service);
    else perTrace.set(r.trace, new Set([r.service]));
  }
  const counts = new Map<number, number>();
  for (const set of perTrace.values()) counts.set(set.size, (counts.get(set.size) ?? 0) + 1);
  let best = 0;
  let bestCount = 0;
  for (const [services, traces] of counts) {
    if (traces > bestCount || (traces === bestCount && services < best)) [best, bestCount] = [services, traces];
  }
  return best;
}

/** a / b, NaN when b is 0 (no evidence either way). */
function ratio(a: number, b: number): number {
  return b === 0 ? NaN : a / b;
}
