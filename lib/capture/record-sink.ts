/**
 * Where the syscall line parsers put what they read: records go to the caller's target
 * through the filter, skipped lines to the ProblemLog, and everything is counted in the stats.
 */
import type { ProblemLog } from './problems';
import type { Instant } from './time';
import type { SyscallFilter, SyscallReadStats } from './types';

/** Longest excerpt of a bad line kept for the ProblemLog (it cuts at 200 characters). */
const EXCERPT_BYTES = 240;

/** The reason given for a bad last line that has no newline after it. */
export const TRUNCATED = 'truncated last line (no newline at end of file)';

/** Where a sink's records go, field by field: no object is made per record. */
export interface RecordTarget {
  add(sec: number, nsec: number, pid: number, tid: number, comm: string, syscall: string, ret: number | null, durNs: number | null): void;
}

/** Collects one file's records, skipped lines and stats for a syscall line parser. */
export class RecordSink {
  readonly stats: SyscallReadStats = { lines: 0, records: 0, exits: 0, signals: 0, joined: 0, outOfOrder: 0, filtered: 0 };
  /** 1-based number of the current line. */
  lineNo = 0;
  private buf: Buffer = Buffer.alloc(0);
  private start = 0;
  private end = 0;
  private unterminated = false;
  private lastSec = -Infinity;
  private lastNsec = 0;
  /**
   * Entry times of the earliest and the latest call read (filtered or not), once `callsSeen` > 0.
   * They start as 0, not NaN: with NaN, V8 ran the parsers 3x slower on every file after the first.
   */
  private callsSeen = 0;
  private firstCallSec = 0;
  private firstCallNsec = 0;
  private lastCallSec = 0;
  private lastCallNsec = 0;
  private readonly window: SyscallFilter['window'];
  private readonly tids: ReadonlySet<number> | undefined;
  private readonly pids: ReadonlySet<number> | undefined;

  constructor(
    /** File name used in problems. */
    readonly file: string,
    private readonly problems: ProblemLog,
    private readonly target: RecordTarget,
    filter: SyscallFilter = {},
  ) {
    this.window = filter.window;
    this.tids = filter.tids;
    this.pids = filter.pids;
  }

  /** Starts the next line of the file: counts it and remembers it for skip() and malformed(). */
  startLine(buf: Buffer, start: number, end: number, lineNo: number, unterminated: boolean): void {
    this.stats.lines++;
    this.buf = buf;
    this.start = start;
    this.end = end;
    this.lineNo = lineNo;
    this.unterminated = unterminated;
  }

  /**
   * Counts the current line in the ProblemLog with its reason and the start of its text: a line
   * that is not a record, or a record kept with a field it could not read.
   */
  skip(reason: string): void {
    this.problems.add(this.file, this.lineNo, reason, this.excerpt());
  }

  /**
   * Counts the current line as a record the parser could not read. A bad last line without a
   * newline is reported as truncated instead: that is what a file cut short looks like.
   */
  malformed(reason: string): void {
    this.problems.add(this.file, this.lineNo, this.unterminated ? TRUNCATED : reason, this.excerpt());
  }

  /** Counts a problem that is not the current line's text (a call never resumed, an empty file). */
  note(lineNo: number, reason: string, text = ''): void {
    this.problems.add(this.file, lineNo, reason, text);
  }

  /** Notes a line's own timestamp; counts the line when it is earlier than the previous one's. */
  seen(sec: number, nsec: number): void {
    if (sec < this.lastSec || (sec === this.lastSec && nsec < this.lastNsec)) this.stats.outOfOrder++;
    this.lastSec = sec;
    this.lastNsec = nsec;
  }

  /**
   * Notes a call entered at (sec, nsec) on `tid` in the file's time extent (whatever the
   * filter says, so that the extent does not depend on it) and says whether the time window and
   * thread filter keep the call.
   */
  keeps(sec: number, nsec: number, tid: number): boolean {
    if (this.callsSeen++ === 0 || sec < this.firstCallSec || (sec === this.firstCallSec && nsec < this.firstCallNsec)) {
      this.firstCallSec = sec;
      this.firstCallNsec = nsec;
    }
    if (this.callsSeen === 1 || sec > this.lastCallSec || (sec === this.lastCallSec && nsec > this.lastCallNsec)) {
      this.lastCallSec = sec;
      this.lastCallNsec = nsec;
    }
    if (this.tids !== undefined && !this.tids.has(tid)) return false;
    const w = this.window;
    if (w === undefined) return true;
    if (sec < w.start.sec || (sec === w.start.sec && nsec < w.start.nsec)) return false;
    return sec < w.end.sec || (sec === w.end.sec && nsec < w.end.nsec);
  }

  /** Entry times of the earliest and the latest call of the file, filtered or not; null without calls. */
  extent(): { first: Instant | null; last: Instant | null } {
    if (this.callsSeen === 0) return { first: null, last: null };
    return { first: { sec: this.firstCallSec, nsec: this.firstCallNsec }, last: { sec: this.lastCallSec, nsec: this.lastCallNsec } };
  }

  /** Counts a record that the filter left out. */
  drop(): void {
    this.stats.filtered++;
  }

  /** Yields a record (the window and tid filter already passed) unless the pid filter drops it. */
  emit(sec: number, nsec: number, pid: number, tid: number, comm: string, syscall: string, ret: number | null, durNs: number | null): void {
    if (this.pids !== undefined && !this.pids.has(pid)) {
      this.stats.filtered++;
      return;
    }
    this.stats.records++;
    this.target.add(sec, nsec, pid, tid, comm, syscall, ret, durNs);
  }

  private excerpt(): string {
    return this.buf.toString('utf8', this.start, Math.min(this.end, this.start + EXCERPT_BYTES));
  }
}

/** A format's line parser: reads the sink's current line, and flushes what it holds at the end. */
export interface SyscallLineParser {
  line(buf: Buffer, start: number, end: number): void;
  finish(): void;
}
