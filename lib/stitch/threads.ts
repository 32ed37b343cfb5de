/**
 * Per-thread syscall sequences. A thread is (host, pid, tid) from the syscall records themselves:
 * that is the kernel layer, which stitching is meant to use; the span's process never enters here.
 */
import * as aq from 'arquero';
import { UNKNOWN_SERVICE } from '../capture/load';
import type { Table } from '../capture/types';
import { compareStrings } from './spans';

/** One thread's syscalls in time order. */
export interface ThreadSeq {
  /** "host/pid/tid" (see {@link threadKey}). */
  key: string;
  service: string;
  host: string;
  pid: number;
  tid: number;
  /** ns from the capture's origin, ascending. */
  ts: Float64Array;
  syscalls: string[];
}

/** The key naming a thread across the kit's stitching tables: "host/pid/tid". */
export function threadKey(host: string, pid: number, tid: number): string {
  return `${host}/${pid}/${tid}`;
}

/** Options of {@link threadSequences}. */
export interface ThreadOptions {
  /** Keep only the threads of these services (default: all). */
  services?: readonly string[];
  /** Keep the threads of processes missing from processes.csv (service "unknown"; default false: no span can name them). */
  keepUnknown?: boolean;
}

/**
 * The threads of a syscalls table (columns in lib/capture/types.ts), each with its syscalls in time
 * order, sorted by service, host, pid, tid.
 */
export function threadSequences(syscalls: Table, opts: ThreadOptions = {}): ThreadSeq[] {
  const only = opts.services ? new Set(opts.services) : null;
  const [ts, host, pid, tid, name, service] = ['ts_ns', 'host', 'pid', 'tid', 'syscall', 'service'].map((c) => syscalls.array(c));
  const rows = new Map<string, number[]>();
  const n = syscalls.numRows();
  for (let r = 0; r < n; r++) {
    const s = service[r] as string;
    if ((only && !only.has(s)) || (s === UNKNOWN_SERVICE && !opts.keepUnknown && !only)) continue;
    const key = threadKey(host[r] as string, pid[r] as number, tid[r] as number);
    const list = rows.get(key);
    if (list) list.push(r);
    else rows.set(key, [r]);
  }
  const threads: ThreadSeq[] = [];
  for (const [key, list] of rows) {
    // The kit's tables are time-sorted; a hand-built one may not be.
    list.sort((a, b) => (ts[a] as number) - (ts[b] as number) || a - b);
    const r0 = list[0];
    threads.push({
      key,
      service: service[r0] as string,
      host: host[r0] as string,
      pid: pid[r0] as number,
      tid: tid[r0] as number,
      ts: Float64Array.from(list, (r) => ts[r] as number),
      syscalls: list.map((r) => name[r] as string),
    });
  }
  return threads.sort(compareThreads);
}

/** Thread order: service, host, pid, tid. */
export function compareThreads(a: ThreadSeq, b: ThreadSeq): number {
  return compareStrings(a.service, b.service) || compareStrings(a.host, b.host) || a.pid - b.pid || a.tid - b.tid;
}

/** One row per thread: key, service, host, pid, tid, syscalls, first_ns, last_ns. */
export function threadTable(threads: readonly ThreadSeq[]): Table {
  return aq.table({
    key: threads.map((t) => t.key),
    service: threads.map((t) => t.service),
    host: threads.map((t) => t.host),
    pid: threads.map((t) => t.pid),
    tid: threads.map((t) => t.tid),
    syscalls: threads.map((t) => t.ts.length),
    first_ns: threads.map((t) => t.ts[0]),
    last_ns: threads.map((t) => t.ts[t.ts.length - 1]),
  });
}

/** The first index i with `sorted[i] >= t` (`> t` when `after`), sorted.length if none. */
export function lowerBound(sorted: Float64Array, t: number, after = false): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid] < t || (after && sorted[mid] === t)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** How many of the sorted values lie in [a, b]. */
export function rangeCount(sorted: Float64Array, a: number, b: number): number {
  const [from, to] = rangeOf(sorted, a, b);
  return to - from;
}

/** The index range [from, to) of the sorted values within [a, b]. */
export function rangeOf(sorted: Float64Array, a: number, b: number): [number, number] {
  return [lowerBound(sorted, a), lowerBound(sorted, b, true)];
}
