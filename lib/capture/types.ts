/**
 * The shapes shared by the capture readers and writers (../../shared CAPTURE-FORMAT.md).
 * Tables are arquero tables; their columns are listed here once.
 */
import type { ColumnTable } from 'arquero';

export type Table = ColumnTable;

export type SyscallFormat = 'strace' | 'perf-trace' | 'csv' | 'bpftrace';
export type TraceFormat = 'jaeger' | 'otlp';
export type CaptureMode = 'idle' | 'isolated' | 'live';
export type Runtime = 'go' | 'java' | 'node' | 'python' | 'mysql' | 'mongodb' | 'redis' | 'rabbitmq' | 'other';

export interface SyscallFileEntry {
  host: string;
  path: string;
  format: SyscallFormat;
  clock: 'realtime' | 'monotonic';
  /** Added to every timestamp of the file to put it on the spans' clock (epoch ns). */
  offsetNs: bigint;
  /**
   * Optional: the file holds the threads of this one process (`strace -f -p PID`, `perf trace -p
   * PID`). strace and perf trace print thread ids only; this says which process they belong to.
   */
  pid?: number;
}

export interface TraceFileEntry {
  path: string;
  format: TraceFormat;
}

export interface Manifest {
  format: 'deepstitch-capture/1';
  name: string;
  source: 'simulated' | 'real';
  mode: CaptureMode;
  app: string;
  createdAt: string;
  generator: { tool: string; version: string; seed?: number; params?: Record<string, unknown> };
  traces: TraceFileEntry[];
  syscalls: SyscallFileEntry[];
}

/**
 * One system call as a syscall reader yields it, on the file's own clock.
 * `pid` is -1 where the format prints thread ids only (strace, perf trace) and the reader could
 * not tell the process (see SyscallFileEntry.pid and clone tracking in the strace reader).
 */
export interface RawSyscall {
  sec: number;
  nsec: number;
  pid: number;
  tid: number;
  comm: string;
  syscall: string;
  /** Return value; null when unknown ("?" in strace, "-" in bpftrace, empty in csv). */
  ret: number | null;
  /** Time spent in the call in ns; null when unknown. */
  durNs: number | null;
}

/** What a syscall reader did with a file. Problems (skipped lines) go to the ProblemLog. */
export interface SyscallReadStats {
  lines: number;
  records: number;
  /** Lines that were not calls and are not errors: strace "+++ exited", "--- SIG", perf notes. */
  exits: number;
  signals: number;
  /** strace "<unfinished ...>" / "<... resumed>" pairs joined into one call. */
  joined: number;
  /** Lines whose timestamp went backwards against the previous line (they are sorted later). */
  outOfOrder: number;
  /** Records left out by the caller's filter. */
  filtered: number;
}

/** Filters applied while streaming, so a file larger than memory need not be loaded whole. */
export interface SyscallFilter {
  /** Absolute window on the file's own clock, [start, end). */
  window?: { start: { sec: number; nsec: number }; end: { sec: number; nsec: number } };
  pids?: ReadonlySet<number>;
  tids?: ReadonlySet<number>;
}

/** The parts of a capture that writeCapture writes (a loaded Capture has them all, and more). */
export interface CaptureTables {
  manifest: Manifest;
  /** Epoch ns on the span clock that the tables' times count from. */
  originNs: bigint;
  spans: Table;
  syscalls: Table;
  processes: Table;
  truth: Table | null;
}

/*
 * Table columns (all timestamps are integer ns from the capture's origin on the span clock):
 *
 * spans:     trace_id, span_id, parent_id ('' for a root), trace_type (operation of the trace's
 *            root span), operation, service, kind ('server' | 'client' | 'producer' | 'consumer' |
 *            'internal' | ''), start_ns, end_ns, host, instance, pid — the last three come from
 *            process tags and are for verification only (null when absent).
 * syscalls:  ts_ns, host, pid, tid, comm, syscall, ret, dur_ns, service, instance
 *            (sorted by ts_ns; syscall and comm are dictionary-encoded strings).
 * processes: host, pid, service, instance, runtime
 * truth:     trace_id, span_id, host, pid, tid
 */
export const SPAN_COLUMNS = [
  'trace_id', 'span_id', 'parent_id', 'trace_type', 'operation', 'service', 'kind',
  'start_ns', 'end_ns', 'host', 'instance', 'pid',
] as const;
export const SYSCALL_COLUMNS = [
  'ts_ns', 'host', 'pid', 'tid', 'comm', 'syscall', 'ret', 'dur_ns', 'service', 'instance',
] as const;
export const PROCESS_COLUMNS = ['host', 'pid', 'service', 'instance', 'runtime'] as const;
export const TRUTH_COLUMNS = ['trace_id', 'span_id', 'host', 'pid', 'tid'] as const;
