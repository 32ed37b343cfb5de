/**
 * Collects streamed system calls into compact columns (typed arrays; strings as dictionary keys)
 * and turns them into the syscalls table, sorted by time. Syscall files can hold tens of millions
 * of calls, so nothing here keeps one object per call.
 */
import * as aq from 'arquero';
import { relNs, type Instant } from './time';
import type { Table } from './types';

/** Strings numbered in order of first appearance. */
export class Dictionary {
  readonly values: string[] = [];
  private readonly ids = new Map<string, number>();

  /** The number of `value`, adding it when new. */
  id(value: string): number {
    let id = this.ids.get(value);
    if (id === undefined) {
      id = this.values.length;
      this.values.push(value);
      this.ids.set(value, id);
    }
    return id;
  }
}

type NumberArray = Float64Array | Int32Array | Uint32Array | Uint16Array | Uint8Array;

/** A typed array that grows by doubling. */
class Growable<A extends NumberArray> {
  length = 0;
  private data: A;

  constructor(private readonly make: (n: number) => A) {
    this.data = make(4096);
  }

  push(v: number): void {
    if (this.length === this.data.length) {
      const bigger = this.make(this.data.length * 2);
      bigger.set(this.data);
      this.data = bigger;
    }
    this.data[this.length++] = v;
  }

  /** The values pushed so far (a view: valid until the next push). */
  view(): A {
    return this.data.subarray(0, this.length) as A;
  }
}

const f64 = (n: number) => new Float64Array(n);
const i32 = (n: number) => new Int32Array(n);
const u32 = (n: number) => new Uint32Array(n);

/**
 * The syscalls of a capture while they are read. Times are kept as whole seconds and ns on the
 * span clock until the origin is known (toTable); unknown ret / dur_ns are kept as NaN.
 */
export class SyscallColumns {
  readonly hosts = new Dictionary();
  readonly comms = new Dictionary();
  readonly syscalls = new Dictionary();
  readonly services = new Dictionary();
  readonly instances = new Dictionary();
  /** The earliest and the latest call added (span clock), null while there is none. */
  first: Instant | null = null;
  last: Instant | null = null;
  private readonly sec = new Growable(f64);
  private readonly nsec = new Growable(i32);
  private readonly pid = new Growable(i32);
  private readonly tid = new Growable(i32);
  private readonly ret = new Growable(f64);
  private readonly dur = new Growable(f64);
  private readonly host = new Growable(u32);
  private readonly comm = new Growable(u32);
  private readonly syscall = new Growable(u32);
  private readonly service = new Growable(u32);
  private readonly instance = new Growable(u32);

  get length(): number {
    return this.sec.length;
  }

  /** Adds one call at `at` (span clock); host, service and instance are ids of their dictionaries. */
  add(at: Instant, host: number, pid: number, tid: number, comm: string, syscall: string, ret: number | null, durNs: number | null, service: number, instance: number): void {
    if (this.first === null || before(at, this.first)) this.first = at;
    if (this.last === null || before(this.last, at)) this.last = at;
    this.sec.push(at.sec);
    this.nsec.push(at.nsec);
    this.host.push(host);
    this.pid.push(pid);
    this.tid.push(tid);
    this.comm.push(this.comms.id(comm));
    this.syscall.push(this.syscalls.id(syscall));
    this.ret.push(ret ?? NaN);
    this.dur.push(durNs ?? NaN);
    this.service.push(service);
    this.instance.push(instance);
  }

  /**
   * The syscalls table (columns in types.ts), ts_ns counted from `originSec` (a whole second on
   * the span clock), sorted by ts_ns, then host, then tid (stable); and the syscall names that
   * occur, sorted. host, comm, syscall, service and instance are dictionary columns over sorted
   * dictionaries; ret and dur_ns hold null where unknown.
   */
  toTable(originSec: number): { table: Table; syscallNames: string[] } {
    const n = this.length;
    const sec = this.sec.view();
    const nsec = this.nsec.view();
    const ts = new Float64Array(n);
    for (let i = 0; i < n; i++) ts[i] = relNs(sec[i], nsec[i], originSec);
    const hostIds = this.host.view();
    const tids = this.tid.view();
    const host = sortedDictionary(this.hosts.values, hostIds);
    const hostRank = host.rank;
    const compare = (a: number, b: number) => ts[a] - ts[b] || hostRank[hostIds[a]] - hostRank[hostIds[b]] || tids[a] - tids[b] || a - b;
    const order = new Uint32Array(n);
    let sorted = true;
    for (let i = 0; i < n; i++) {
      order[i] = i;
      if (sorted && i > 0 && compare(i - 1, i) > 0) sorted = false;
    }
    // Files from strace are in order already; eBPF's per-CPU buffers are not.
    if (!sorted) order.sort(compare);
    const take = <A extends NumberArray>(src: NumberArray, out: A): A => {
      for (let r = 0; r < n; r++) out[r] = src[order[r]];
      return out;
    };
    const dict = (ids: Uint32Array, d: SortedDictionary) => {
      const keys = keyArray(n, d.values.length);
      for (let r = 0; r < n; r++) keys[r] = d.rank[ids[order[r]]];
      return dictionaryColumn(keys, d.values);
    };
    const sorts = (dictionary: Dictionary, ids: Uint32Array) => dict(ids, sortedDictionary(dictionary.values, ids));
    const syscallIds = this.syscall.view();
    const syscall = sortedDictionary(this.syscalls.values, syscallIds);
    const table = aq.table({
      ts_ns: take(ts, new Float64Array(n)),
      host: dict(hostIds, host),
      pid: take(this.pid.view(), new Int32Array(n)),
      tid: take(tids, new Int32Array(n)),
      comm: sorts(this.comms, this.comm.view()),
      syscall: dict(syscallIds, syscall),
      ret: nullableColumn(take(this.ret.view(), new Float64Array(n))),
      dur_ns: nullableColumn(take(this.dur.view(), new Float64Array(n))),
      service: sorts(this.services, this.service.view()),
      instance: sorts(this.instances, this.instance.view()),
    });
    return { table, syscallNames: syscall.values };
  }
}

/**
 * A dictionary-encoded string column in the shape arquero gives Arrow dictionary columns: `key`
 * and `keyFor` let arquero compare `d.col === 'read'` on keys; `groups` gives groupby the groups
 * directly. Every dictionary value must occur in `keys`.
 */
export function dictionaryColumn(keys: Uint8Array | Uint16Array | Uint32Array, values: readonly string[]) {
  const index = new Map(values.map((v, i) => [v, i]));
  return {
    length: keys.length,
    nullCount: 0,
    at: (row: number): string => values[keys[row]],
    key: (row: number): number => keys[row],
    keyFor: (value: unknown): number => index.get(value as string) ?? -1,
    groups(names: string[]) {
      // exemplar row of each group: its first row
      const rows = new Array<number>(values.length).fill(-1);
      for (let r = 0; r < keys.length; r++) if (rows[keys[r]] < 0) rows[keys[r]] = r;
      return { keys, get: [(row: number) => values[keys[row]]], names, rows, size: values.length };
    },
    *[Symbol.iterator](): Iterator<string> {
      for (let r = 0; r < keys.length; r++) yield values[keys[r]];
    },
    toArray: (): string[] => Array.from(keys, (k) => values[k]),
  };
}

/** A number column over a Float64Array where NaN stands for null. */
export function nullableColumn(values: Float64Array) {
  const at = (row: number): number | null => (Number.isNaN(values[row]) ? null : values[row]);
  return {
    length: values.length,
    at,
    *[Symbol.iterator](): Iterator<number | null> {
      for (let r = 0; r < values.length; r++) yield at(r);
    },
    toArray: (): (number | null)[] => Array.from(values, (v) => (Number.isNaN(v) ? null : v)),
  };
}

interface SortedDictionary {
  /** The values that occur, sorted. */
  values: string[];
  /** Position in `values` of each original id. */
  rank: Uint32Array;
}

/** Sorts the values of a dictionary that occur in `ids`. */
function sortedDictionary(values: readonly string[], ids: Uint32Array): SortedDictionary {
  const used = new Uint8Array(values.length);
  for (let i = 0; i < ids.length; i++) used[ids[i]] = 1;
  const sorted = values.filter((_, id) => used[id] === 1).sort();
  const pos = new Map(sorted.map((v, i) => [v, i]));
  return { values: sorted, rank: Uint32Array.from(values, (v) => pos.get(v) ?? 0) };
}

function before(a: Instant, b: Instant): boolean {
  return a.sec < b.sec || (a.sec === b.sec && a.nsec < b.nsec);
}

function keyArray(n: number, size: number): Uint8Array | Uint16Array | Uint32Array {
  return size <= 256 ? new Uint8Array(n) : size <= 65536 ? new Uint16Array(n) : new Uint32Array(n);
}
