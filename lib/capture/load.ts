/**
 * loadCapture: reads a capture folder (CAPTURE-FORMAT.md) into arquero tables on one clock,
 * streaming the syscall files so a file larger than memory need not be held whole.
 */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { readProcesses, readTruth } from './csv';
import { readJaegerFile } from './jaeger';
import { MANIFEST_FILE, readManifest } from './manifest';
import { readOtlpFile } from './otlp';
import { CaptureError, ProblemLog } from './problems';
import { buildSpansTable, type SpanRecord } from './spans';
import { SyscallColumns } from './syscall-columns';
import type { RecordTarget } from './record-sink';
import { streamSyscallFile, type SyscallFileStats } from './syscalls';
import { addInstant, joinNs, splitNs, type Instant } from './time';
import type { CaptureTables, SyscallFileEntry, SyscallFilter, Table } from './types';

/** processes.csv's name inside a capture folder. */
export const PROCESSES_FILE = 'processes.csv';
/** truth.csv's name inside a capture folder (optional). */
export const TRUTH_FILE = 'truth.csv';

/**
 * What to keep of the syscall files; spans, processes and truth are always read whole. Every
 * syscall file is read whatever the filters (its earliest call sets the origin, which must not
 * depend on them); the filters decide which calls are kept, so they save memory, not reading.
 */
export interface LoadOptions {
  /** Absolute epoch ns on the span clock: keep syscalls in [startNs, endNs). */
  window?: { startNs: bigint; endNs: bigint };
  /** Keep only the syscalls of these hosts (other hosts' files are read for their times only). */
  hosts?: string[];
  /**
   * Keep only the syscalls of these processes. Files are not skipped by their manifest pid:
   * `strace -f -p PID` follows forks, so a file can hold other processes than the one it names.
   */
  pids?: number[];
  /**
   * Told how far a syscall file has been read: while reading, `lines` is the count of calls read
   * so far (every 65536 calls; the readers report no line count until the end); when the file is
   * done, its count of lines.
   */
  onProgress?: (p: { file: string; lines: number }) => void;
}

/**
 * A capture in memory. All table times are integer ns from `originNs` on the span clock:
 * the whole second at or before the capture's first event, which is the earliest span start or
 * the earliest call of any syscall file (after its offsetNs), whatever the load filters keep.
 * So a call has the same ts_ns in every load of a capture, filtered or not.
 */
export interface Capture extends CaptureTables {
  dir: string;
  /** Every line or record that could not be used, and why. */
  problems: ProblemLog;
  /** What each syscall file's reader did, by the file's manifest path (times on the file's clock). */
  stats: Record<string, SyscallFileStats>;
  /** The distinct values of the syscalls table's syscall column, sorted. */
  syscallNames: string[];
}

/** Service and instance of syscalls whose process is not in processes.csv. */
export const UNKNOWN_SERVICE = 'unknown';

const PROGRESS_EVERY = 65536;

/**
 * Reads a capture folder. Syscalls are joined to their service and instance through
 * processes.csv by (host, pid); a process missing there gets service 'unknown' and instance '',
 * and is counted in `problems` once per (file, pid) as "pid not in processes.csv" (the example
 * text gives its number of calls); calls whose pid the reader could not tell (-1) likewise, as
 * "process unknown (pid -1)". See buildSpansTable for the spans table.
 */
export async function loadCapture(dir: string, opts: LoadOptions = {}): Promise<Capture> {
  const manifest = await readManifest(dir);
  const problems = new ProblemLog();
  const processes = await readProcesses(join(dir, PROCESSES_FILE), problems);
  const truthPath = join(dir, TRUTH_FILE);
  const truth = (await exists(truthPath)) ? await readTruth(truthPath, problems) : null;

  const spans: SpanRecord[] = [];
  const spanFiles: string[] = [];
  for (const entry of manifest.traces) {
    const path = join(dir, entry.path);
    const read = entry.format === 'jaeger' ? readJaegerFile : readOtlpFile;
    for (const s of await read(path, problems)) {
      spans.push(s);
      spanFiles.push(path);
    }
  }

  const columns = new SyscallColumns();
  const stats: Record<string, SyscallFileStats> = {};
  const extents: Extent[] = [];
  const byHostPid = processLookup(processes);
  for (const entry of manifest.syscalls) {
    const s = await loadSyscallFile(dir, entry, opts, columns, byHostPid.get(entry.host) ?? new Map(), problems);
    stats[entry.path] = s;
    if (s.first !== null && s.last !== null) {
      extents.push({ first: joinNs(s.first.sec, s.first.nsec) + entry.offsetNs, last: joinNs(s.last.sec, s.last.nsec) + entry.offsetNs });
    }
  }
  for (const s of spans) extents.push({ first: s.startNs, last: s.endNs });

  const originNs = origin(extents, join(dir, MANIFEST_FILE));
  const originSec = Number(originNs / 1_000_000_000n);
  const { table: syscalls, syscallNames } = columns.toTable(originSec);
  return {
    dir,
    manifest,
    originNs,
    spans: buildSpansTable(spans, spanFiles, originNs, processes, problems),
    syscalls,
    processes,
    truth,
    problems,
    stats,
    syscallNames,
  };
}

interface ProcessInfo {
  service: string;
  instance: string;
}

/** The time span of a file's calls or of a span, in epoch ns on the span clock. */
interface Extent {
  first: bigint;
  last: bigint;
}

/** Per process of a file: its service and instance (dictionary ids), calls kept, and whether processes.csv lists it. */
interface PidCalls {
  service: number;
  instance: number;
  calls: number;
  known: boolean;
}

/** Streams one syscall file into `columns`, on the span clock, through the load filters. */
async function loadSyscallFile(
  dir: string,
  entry: SyscallFileEntry,
  opts: LoadOptions,
  columns: SyscallColumns,
  processes: ReadonlyMap<number, ProcessInfo>,
  problems: ProblemLog,
): Promise<SyscallFileStats> {
  const path = join(dir, entry.path);
  // The window is on the span clock; the reader filters on the file's own clock.
  const window = opts.window && {
    start: splitNs(opts.window.startNs - entry.offsetNs),
    end: splitNs(opts.window.endNs - entry.offsetNs),
  };
  const filter: SyscallFilter = { window, pids: opts.pids && new Set(opts.pids) };
  // A host left out is still read for its earliest call (the origin); no thread keeps a call.
  if (opts.hosts !== undefined && !opts.hosts.includes(entry.host)) filter.tids = new Set();
  const calls = new FileCalls(columns, entry, processes, opts.onProgress);
  const stats = await streamSyscallFile(path, entry.format, calls, {
    problems,
    filter,
    pid: entry.pid,
    knownPids: new Set(processes.keys()),
  });
  opts.onProgress?.({ file: entry.path, lines: stats.lines });
  for (const [pid, p] of calls.perPid) {
    if (p.known) continue;
    if (pid === -1) problems.add(path, 0, 'process unknown (pid -1)', `host ${entry.host}, syscalls: ${p.calls}`);
    else problems.add(path, 0, 'pid not in processes.csv', `host ${entry.host} pid ${pid}, syscalls: ${p.calls}`);
  }
  return stats;
}

/** Puts one file's calls into the columns, on the span clock, with their service and instance. */
class FileCalls implements RecordTarget {
  /** The calls kept of each process. */
  readonly perPid = new Map<number, PidCalls>();
  private host = -1; // interned at the first call, so a host without calls is not in the table
  private calls = 0;
  private lastPid = NaN; // calls come in runs of one process: its PidCalls is looked up once per run
  private p: PidCalls | undefined;
  private readonly offset: Instant;
  private readonly shifted: boolean;

  constructor(
    private readonly columns: SyscallColumns,
    private readonly entry: SyscallFileEntry,
    private readonly processes: ReadonlyMap<number, ProcessInfo>,
    private readonly onProgress: LoadOptions['onProgress'],
  ) {
    this.offset = splitNs(entry.offsetNs);
    this.shifted = entry.offsetNs !== 0n;
  }

  add(sec: number, nsec: number, pid: number, tid: number, comm: string, syscall: string, ret: number | null, durNs: number | null): void {
    const columns = this.columns;
    if (this.host < 0) this.host = columns.hosts.id(this.entry.host);
    let p = this.p;
    if (pid !== this.lastPid || p === undefined) {
      this.lastPid = pid;
      p = this.perPid.get(pid);
      if (p === undefined) {
        const info = this.processes.get(pid);
        p = {
          service: columns.services.id(info?.service ?? UNKNOWN_SERVICE),
          instance: columns.instances.id(info?.instance ?? ''),
          calls: 0,
          known: info !== undefined,
        };
        this.perPid.set(pid, p);
      }
      this.p = p;
    }
    p.calls++;
    // Calls are on the file's clock; shifted only when the file has an offset.
    if (this.shifted) ({ sec, nsec } = addInstant({ sec, nsec }, this.offset));
    columns.addAt(sec, nsec, this.host, pid, tid, comm, syscall, ret, durNs, p.service, p.instance);
    if (++this.calls % PROGRESS_EVERY === 0) this.onProgress?.({ file: this.entry.path, lines: this.calls });
  }
}

/** processes.csv as host → pid → service and instance. */
function processLookup(processes: Table): Map<string, Map<number, ProcessInfo>> {
  const out = new Map<string, Map<number, ProcessInfo>>();
  for (const row of processes.objects() as { host: string; pid: number; service: string; instance: string }[]) {
    let pids = out.get(row.host);
    if (pids === undefined) {
      pids = new Map();
      out.set(row.host, pids);
    }
    pids.set(row.pid, { service: row.service, instance: row.instance });
  }
  return out;
}

/**
 * The whole second at or before the first event, as epoch ns (0 for a capture without events).
 * Throws when the events span more than 2^53 ns (104 days): relative times would lose precision,
 * and the usual cause is a monotonic clock whose offsetNs is missing or wrong.
 */
function origin(extents: readonly Extent[], manifestPath: string): bigint {
  if (extents.length === 0) return 0n;
  let { first, last } = extents[0];
  for (const e of extents) {
    if (e.first < first) first = e.first;
    if (e.last > last) last = e.last;
  }
  const originNs = BigInt(splitNs(first).sec) * 1_000_000_000n;
  if (last - originNs > BigInt(Number.MAX_SAFE_INTEGER)) {
    const date = (ns: bigint) => new Date(Number(ns / 1_000_000n)).toISOString();
    throw new CaptureError(manifestPath, null, "all events within 104 days of each other (check each syscall file's clock and offsetNs)",
      `events from ${date(first)} to ${date(last)}`);
  }
  return originNs;
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}
