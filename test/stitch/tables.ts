/** Small hand-built spans, syscalls and truth tables for the stitching tests. */
import * as aq from 'arquero';
import type { Table } from '../../lib/capture/types';

export interface SpanSpec {
  trace: string;
  span: string;
  parent?: string;
  type: string;
  op: string;
  service: string;
  /** µs from the origin. */
  startUs: number;
  endUs: number;
  /** The serving process as a tracer's tags would give it (verification only). */
  host?: string;
  pid?: number;
}

/** A spans table (lib/capture SPAN_COLUMNS), times given in µs. */
export function spansTable(specs: readonly SpanSpec[]): Table {
  return aq.table({
    trace_id: specs.map((s) => s.trace),
    span_id: specs.map((s) => s.span),
    parent_id: specs.map((s) => s.parent ?? ''),
    trace_type: specs.map((s) => s.type),
    operation: specs.map((s) => s.op),
    service: specs.map((s) => s.service),
    kind: specs.map(() => 'server'),
    start_ns: specs.map((s) => s.startUs * 1000),
    end_ns: specs.map((s) => s.endUs * 1000),
    host: specs.map((s) => s.host ?? null),
    instance: specs.map((s) => (s.host === undefined ? null : `${s.service}-${s.pid}`)),
    pid: specs.map((s) => s.pid ?? null),
  });
}

export interface CallSpec {
  /** µs from the origin (fractions give ns). */
  us: number;
  host: string;
  pid: number;
  tid: number;
  service: string;
  syscall: string;
}

/** A syscalls table (lib/capture SYSCALL_COLUMNS) sorted by time. */
export function syscallsTable(calls: readonly CallSpec[]): Table {
  const sorted = [...calls].sort((a, b) => a.us - b.us);
  return aq.table({
    ts_ns: sorted.map((c) => Math.round(c.us * 1000)),
    host: sorted.map((c) => c.host),
    pid: sorted.map((c) => c.pid),
    tid: sorted.map((c) => c.tid),
    comm: sorted.map((c) => c.service),
    syscall: sorted.map((c) => c.syscall),
    ret: sorted.map(() => 0),
    dur_ns: sorted.map(() => 100),
    service: sorted.map((c) => c.service),
    instance: sorted.map((c) => `${c.service}-${c.pid}`),
  });
}

/** `count` calls of `syscall` by one thread, every `stepUs` from `fromUs`. */
export function repeat(thread: Omit<CallSpec, 'us' | 'syscall'>, syscall: string, fromUs: number, count: number, stepUs: number): CallSpec[] {
  return Array.from({ length: count }, (_, i) => ({ ...thread, us: fromUs + i * stepUs, syscall }));
}

/** A truth table from (trace, span, host, pid, tid) rows. */
export function truthTable(rows: readonly [string, string, string, number, number][]): Table {
  return aq.table({
    trace_id: rows.map((r) => r[0]),
    span_id: rows.map((r) => r[1]),
    host: rows.map((r) => r[2]),
    pid: rows.map((r) => r[3]),
    tid: rows.map((r) => r[4]),
  });
}
