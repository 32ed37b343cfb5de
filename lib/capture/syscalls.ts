/**
 * Reading and writing one syscall file in any of the four formats (strace, perf-trace, csv,
 * bpftrace; CAPTURE-FORMAT.md). Files are streamed, so they may be larger than memory; records
 * come out in file order on the file's own clock (the caller sorts and shifts them).
 */
import { open } from 'node:fs/promises';
import { BpftraceParser, formatBpftraceLine } from './bpftrace';
import { CsvSyscallParser, formatCsvSyscallLine, SYSCALL_CSV_HEADER } from './csv-syscalls';
import { forEachLine } from './lines';
import { formatPerfTraceLine, PerfTraceParser } from './perf-trace';
import { CaptureError, type ProblemLog } from './problems';
import { RecordSink, type RecordTarget, type SyscallLineParser } from './record-sink';
import { formatStraceLine, StraceParser } from './strace';
import { ThreadPids, type MadeByClone } from './thread-pids';
import type { Instant } from './time';
import type { RawSyscall, SyscallFilter, SyscallFormat, SyscallReadStats } from './types';

/** Options of readSyscallFile. */
export interface ReadSyscallsOptions {
  /** Where skipped lines are counted, with file:line. */
  problems: ProblemLog;
  /** File name used in problems and errors (default: path). */
  label?: string;
  /** Applied while streaming (the window is on the file's own clock). */
  filter?: SyscallFilter;
  /** SyscallFileEntry.pid: the process every tid of the file belongs to (strace, perf-trace). */
  pid?: number;
  /** Pids listed in processes.csv: a tid equal to one is that process's main thread. */
  knownPids?: ReadonlySet<number>;
}

/**
 * What readSyscallFile did with a file: its stats, and the entry times of its earliest and its
 * latest call on the file's own clock, whether the filter kept them or not (null without calls).
 */
export interface SyscallFileStats extends SyscallReadStats {
  first: Instant | null;
  last: Instant | null;
}

/** Lines longer than this are skipped and counted (a record line is a few hundred bytes). */
const MAX_LINE_BYTES = 64 * 1024 * 1024;

/** Reasons under which whole-file and overlong-line problems are counted. */
export const FILE_SKIP = {
  empty: 'empty file (no lines)',
  overlong: `line longer than ${MAX_LINE_BYTES} bytes`,
} as const;

/**
 * Streams a syscall file and calls `onRecord` for each call, in file order: a call split across
 * lines comes out at its last line, and a new thread's first calls wait (a few lines) for the
 * clone that made it to return, which names its process. Lines that are not calls are counted
 * in the stats (exits, signals) or in `opts.problems` with file:line and a reason. Returns the
 * stats and the file's time extent (SyscallFileStats). Throws CaptureError when the file cannot
 * be read, or for a csv file without its header.
 */
export function readSyscallFile(
  path: string,
  format: SyscallFormat,
  onRecord: (r: RawSyscall) => void,
  opts: ReadSyscallsOptions,
): Promise<SyscallFileStats> {
  const target: RecordTarget = {
    add: (sec, nsec, pid, tid, comm, syscall, ret, durNs) => onRecord({ sec, nsec, pid, tid, comm, syscall, ret, durNs }),
  };
  return streamSyscallFile(path, format, target, opts);
}

/**
 * readSyscallFile with each record's fields handed to `target.add` instead of a record object:
 * the fast path of loadCapture, which stores them in columns.
 */
export async function streamSyscallFile(
  path: string,
  format: SyscallFormat,
  target: RecordTarget,
  opts: ReadSyscallsOptions,
): Promise<SyscallFileStats> {
  const file = opts.label ?? path;
  const sink = new RecordSink(file, opts.problems, target, opts.filter);
  const parser = lineParser(format, sink, opts);
  let lines: number;
  try {
    ({ lines } = await forEachLine(
      path,
      (buf, start, end, lineNo, unterminated) => {
        sink.startLine(buf, start, end, lineNo, unterminated);
        parser.line(buf, start, end);
      },
      {
        maxLineBytes: MAX_LINE_BYTES,
        onOverlong: (lineNo, bytes) => {
          sink.stats.lines++;
          sink.note(lineNo, FILE_SKIP.overlong, `${bytes} bytes`);
        },
      },
    ));
  } catch (e) {
    if (e instanceof CaptureError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    throw new CaptureError(file, null, `a readable ${format} file`, code === 'ENOENT' ? 'no such file' : String(e));
  }
  parser.finish();
  if (lines === 0) sink.note(0, FILE_SKIP.empty);
  return { ...sink.stats, ...sink.extent() };
}

function lineParser(format: SyscallFormat, sink: RecordSink, opts: ReadSyscallsOptions): SyscallLineParser {
  switch (format) {
    case 'strace':
      return new StraceParser(sink, new ThreadPids(sink, opts.pid, opts.knownPids), opts.pid);
    case 'perf-trace':
      return new PerfTraceParser(sink, new ThreadPids(sink, opts.pid, opts.knownPids), opts.pid);
    case 'bpftrace':
      return new BpftraceParser(sink);
    case 'csv':
      return new CsvSyscallParser(sink);
    default:
      throw new CaptureError(sink.file, null, 'a syscall format: strace, perf-trace, csv or bpftrace', `"${String(format)}"`);
  }
}

/** Options of writeSyscallFile. */
export interface WriteSyscallsOptions {
  /**
   * Timestamp and duration precision of strace and perf-trace files: 'us' as the tools print by
   * default (strace -ttt -T; perf trace's ms with 3 decimals), or 'ns' (default; strace
   * --timestamps=unix,ns --syscall-times=ns; perf-trace ms with 6 decimals). Values are truncated.
   * csv and bpftrace always hold ns.
   */
  precision?: 'us' | 'ns';
  /**
   * The pid of each tid in the file. strace and perf-trace lines carry no pid: with this, a clone
   * whose child is a thread of the caller's process is written with the THREAD flag, and one whose
   * child leads a process of its own without it, so that the reader places the child as before.
   * Other clones are written without flags.
   */
  threadPids?: ReadonlyMap<number, number>;
}

/** Bytes of text gathered before each write. */
const WRITE_CHUNK = 1 << 20;

/**
 * Writes records as a syscall file in `format`, streaming. strace and perf-trace lines carry
 * no pid and no arguments but a clone's flags (see WriteSyscallsOptions.threadPids; a reader
 * gets the pids back from ReadSyscallsOptions.pid, knownPids and the clones); csv and bpftrace
 * keep every field.
 */
export async function writeSyscallFile(path: string, format: SyscallFormat, records: Iterable<RawSyscall>, opts: WriteSyscallsOptions = {}): Promise<void> {
  const ns = (opts.precision ?? 'ns') === 'ns';
  const made = (r: RawSyscall) => cloneMade(r, opts.threadPids);
  const line: (r: RawSyscall) => string =
    format === 'strace' ? (r) => formatStraceLine(r, ns ? 9 : 6, made(r))
    : format === 'perf-trace' ? (r) => formatPerfTraceLine(r, ns ? 6 : 3, made(r))
    : format === 'bpftrace' ? formatBpftraceLine
    : format === 'csv' ? formatCsvSyscallLine
    : unknownFormat(format);
  const fh = await open(path, 'w');
  try {
    let text = format === 'csv' ? SYSCALL_CSV_HEADER : '';
    for (const r of records) {
      text += line(r);
      if (text.length >= WRITE_CHUNK) {
        await fh.write(text);
        text = '';
      }
    }
    if (text !== '') await fh.write(text);
  } finally {
    await fh.close();
  }
}

/** What a clone record made, as `threadPids` tells: a thread of the caller's process, a process, or null (not known, or no clone). */
function cloneMade(r: RawSyscall, threadPids: ReadonlyMap<number, number> | undefined): MadeByClone | null {
  if ((r.syscall !== 'clone' && r.syscall !== 'clone3') || r.ret === null || r.ret <= 0 || threadPids === undefined) return null;
  const child = threadPids.get(r.ret);
  return child === undefined ? null : child === r.pid ? 'thread' : child === r.ret ? 'process' : null;
}

function unknownFormat(format: never): never {
  throw new Error(`writeSyscallFile: unknown syscall format "${String(format)}"`);
}
