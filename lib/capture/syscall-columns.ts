/**
 * Collects streamed system calls into compact columns (typed arrays; strings as dictionary keys)
 * and turns them into the syscalls table, sorted by time. Syscall files can hold tens of millions
 * of calls, so nothing here keeps one object per call.
 */
import * as aq from 'arquero';
import { Dictionary } from './dictionary';
import { relNs, type Instant } from './time';
import type { Table } from './types';

type NumberArray = Float64Array | Int32Array | Uint32Array | Uint16Array | Uint8Array;

/** Calls are stored in blocks of 2^BLOCK_BITS rows: growing never copies what is stored. */
const BLOCK_BITS = 16;
const BLOCK_ROWS = 1 << BLOCK_BITS;
const BLOCK_MASK = BLOCK_ROWS - 1;

/** BLOCK_ROWS calls, column by column. */
class Block {
  readonly ts = new Float64Array(BLOCK_ROWS);
  readonly pid = new Int32Array(BLOCK_ROWS);
  readonly tid = new Int32Array(BLOCK_ROWS);
  readonly ret = new Float64Array(BLOCK_ROWS);
  readonly dur = new Float64Array(BLOCK_ROWS);
  readonly host = new Uint32Array(BLOCK_ROWS);
  readonly comm = new Uint32Array(BLOCK_ROWS);
  readonly syscall = new Uint32Array(BLOCK_ROWS);
  readonly service = new Uint32Array(BLOCK_ROWS);
  readonly instance = new Uint32Array(BLOCK_ROWS);
}

/**
 * The syscalls of a capture while they are read. Times are kept as ns from the first call's whole
 * second (exact while the calls lie within 104 days of it) until the origin is known (toTable);
 * unknown ret / dur_ns are kept as NaN.
 */
export class SyscallColumns {
  readonly hosts = new Dictionary();
  readonly comms = new Dictionary();
  readonly syscalls = new Dictionary();
  readonly services = new Dictionary();
  readonly instances = new Dictionary();
  private n = 0;
  /** The last comm added and its id: a file's calls come in runs of one comm (strace's are all ''). */
  private lastComm = '';
  private lastCommId = -1;
  /** The whole second (span clock) that `ts` counts from: the first call's (0 before it). */
  private baseSec = 0;
  private block = new Block();
  private readonly blocks = [this.block];

  /** Number of calls added. */
  get length(): number {
    return this.n;
  }

  /** Adds one call at `at` (span clock); host, service and instance are ids of their dictionaries. */
  add(at: Instant, host: number, pid: number, tid: number, comm: string, syscall: string, ret: number | null, durNs: number | null, service: number, instance: number): void {
    this.addAt(at.sec, at.nsec, host, pid, tid, comm, syscall, ret, durNs, service, instance);
  }

  /** add() with the time as its two numbers: loadCapture's fast path, which makes no Instant per call. */
  addAt(sec: number, nsec: number, host: number, pid: number, tid: number, comm: string, syscall: string, ret: number | null, durNs: number | null, service: number, instance: number): void {
    const k = this.n;
    const j = k & BLOCK_MASK;
    if (j === 0 && k > 0) this.blocks.push((this.block = new Block()));
    const b = this.block;
    if (k === 0) this.baseSec = sec;
    b.ts[j] = relNs(sec, nsec, this.baseSec);
    b.host[j] = host;
    b.pid[j] = pid;
    b.tid[j] = tid;
    if (comm !== this.lastComm || this.lastCommId < 0) {
      this.lastComm = comm;
      this.lastCommId = this.comms.id(comm);
    }
    b.comm[j] = this.lastCommId;
    b.syscall[j] = this.syscalls.id(syscall);
    b.ret[j] = ret ?? NaN;
    b.dur[j] = durNs ?? NaN;
    b.service[j] = service;
    b.instance[j] = instance;
    this.n = k + 1;
  }

  /**
   * The syscalls table (columns in types.ts), ts_ns counted from `originSec` (a whole second on
   * the span clock), sorted by ts_ns, then host, then tid (stable); and the syscall names that
   * occur, sorted. host, comm, syscall, service and instance are dictionary columns over sorted
   * dictionaries; ret and dur_ns hold null where unknown. The caller checks that every call lies
   * within 2^53 ns of the origin (loadCapture does).
   */
  toTable(originSec: number): { table: Table; syscallNames: string[] } {
    const n = this.n;
    const blocks = this.blocks;
    // Row i is column[i >>> BLOCK_BITS][i & BLOCK_MASK].
    const ts = blocks.map((b) => b.ts);
    const hostIds = blocks.map((b) => b.host);
    const tids = blocks.map((b) => b.tid);
    const host = sortedDictionary(this.hosts.values, hostIds, n);
    const hostRank = host.rank;
    const order = sortedOrder(n, (a, b) => {
      const ba = a >>> BLOCK_BITS;
      const ia = a & BLOCK_MASK;
      const bb = b >>> BLOCK_BITS;
      const ib = b & BLOCK_MASK;
      return ts[ba][ia] - ts[bb][ib] || hostRank[hostIds[ba][ia]] - hostRank[hostIds[bb][ib]] || tids[ba][ia] - tids[bb][ib] || a - b;
    });
    const shift = (this.baseSec - originSec) * 1e9;
    const tsNs = new Float64Array(n);
    for (let r = 0; r < n; r++) {
      const s = order[r];
      tsNs[r] = ts[s >>> BLOCK_BITS][s & BLOCK_MASK] + shift;
    }
    const take = <A extends NumberArray>(src: NumberArray[], out: A): A => {
      for (let r = 0; r < n; r++) {
        const s = order[r];
        out[r] = src[s >>> BLOCK_BITS][s & BLOCK_MASK];
      }
      return out;
    };
    const dict = (ids: Uint32Array[], d: SortedDictionary) => {
      const keys = keyArray(n, d.values.length);
      const rank = d.rank;
      // With one value (a capture's comm, host or service often has one) every key is 0 already.
      if (d.values.length > 1) {
        for (let r = 0; r < n; r++) {
          const s = order[r];
          keys[r] = rank[ids[s >>> BLOCK_BITS][s & BLOCK_MASK]];
        }
      }
      return dictionaryColumn(keys, d.values);
    };
    const sorts = (dictionary: Dictionary, ids: Uint32Array[]) => dict(ids, sortedDictionary(dictionary.values, ids, n));
    const syscallIds = blocks.map((b) => b.syscall);
    const syscall = sortedDictionary(this.syscalls.values, syscallIds, n);
    const table = aq.table({
      ts_ns: tsNs,
      host: dict(hostIds, host),
      pid: take(blocks.map((b) => b.pid), new Int32Array(n)),
      tid: take(tids, new Int32Array(n)),
      comm: sorts(this.comms, blocks.map((b) => b.comm)),
      syscall: dict(syscallIds, syscall),
      ret: nullableColumn(take(blocks.map((b) => b.ret), new Float64Array(n))),
      dur_ns: nullableColumn(take(blocks.map((b) => b.dur), new Float64Array(n))),
      service: sorts(this.services, blocks.map((b) => b.service)),
      instance: sorts(this.instances, blocks.map((b) => b.instance)),
    });
    return { table, syscallNames: syscall.values };
  }
}

/**
 * The rows 0..n-1 in the order of `compare` (a total order). Syscall files are mostly in time
 * order already (strace's are, but for calls joined from unfinished/resumed lines; eBPF's per-CPU
 * buffers interleave), so instead of sorting all rows with a comparator, the rows that keep the
 * order are taken as they come, only the others are sorted, and the two lists are merged.
 */
export function sortedOrder(n: number, compare: (a: number, b: number) => number): Uint32Array {
  const inOrder = new Uint32Array(n);
  const late: number[] = [];
  let m = 0;
  for (let i = 0; i < n; i++) {
    if (m === 0 || compare(inOrder[m - 1], i) < 0) inOrder[m++] = i;
    else late.push(i);
  }
  if (late.length === 0) return inOrder;
  late.sort(compare);
  const order = new Uint32Array(n);
  let a = 0;
  let b = 0;
  for (let r = 0; r < n; r++) {
    order[r] = b === late.length || (a < m && compare(inOrder[a], late[b]) < 0) ? inOrder[a++] : late[b++];
  }
  return order;
}

/**
 * A dictionary-encoded string column in the shape arquero gives Arrow dictionary columns: `key`
 * and `keyFor` let arquero compare `d.col === 'read'` on keys; `groups` gives groupby the groups
 * directly. Every dictionary value must occur in `keys`, and the column holds no null.
 */
export function dictionaryColumn(keys: Uint8Array | Uint16Array | Uint32Array, values: readonly string[]) {
  const index = new Map(values.map((v, i) => [v, i]));
  return {
    length: keys.length,
    nullCount: 0,
    at: (row: number): string => values[keys[row]],
    key: (row: number): number => keys[row],
    // A value the column does not hold (null included) gets a key no row has, so that `===` is
    // false and `!==` true on every row: arquero turns a negative key into a literal false for
    // the whole comparison, `!==` included.
    keyFor: (value: unknown): number => (typeof value === 'string' ? index.get(value) : undefined) ?? values.length,
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

/** Sorts the values of a dictionary that occur in the first `n` rows of the blocks `ids`. */
function sortedDictionary(values: readonly string[], ids: readonly Uint32Array[], n: number): SortedDictionary {
  const used = new Uint8Array(values.length);
  let unused = values.length;
  for (let b = 0; b < ids.length && unused > 0; b++) {
    const block = ids[b];
    const rows = Math.min(BLOCK_ROWS, n - b * BLOCK_ROWS);
    // Stops as soon as every value is seen: in a capture that is within the first calls.
    for (let i = 0; i < rows && unused > 0; i++) {
      if (used[block[i]] === 0) {
        used[block[i]] = 1;
        unused--;
      }
    }
  }
  const sorted = values.filter((_, id) => used[id] === 1).sort();
  const pos = new Map(sorted.map((v, i) => [v, i]));
  return { values: sorted, rank: Uint32Array.from(values, (v) => pos.get(v) ?? 0) };
}

function keyArray(n: number, size: number): Uint8Array | Uint16Array | Uint32Array {
  return size <= 256 ? new Uint8Array(n) : size <= 65536 ? new Uint16Array(n) : new Uint32Array(n);
}
