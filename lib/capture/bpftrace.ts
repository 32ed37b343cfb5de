/**
 * bpftrace text: lines "ts_ns pid tid syscall ret dur_ns comm", space separated, no header, as
 * printed by a `tracepoint:raw_syscalls` script such as
 *
 *   tracepoint:raw_syscalls:sys_enter { @start[tid] = nsecs; }
 *   tracepoint:raw_syscalls:sys_exit /@start[tid]/ {
 *     printf("%llu %d %d %d %d %llu %s\n", @start[tid], pid, tid, args->id, args->ret,
 *            nsecs - @start[tid], comm); delete(@start[tid]); }
 *
 * comm comes last because it may hold spaces; ret and dur_ns are "-" when unknown; the syscall
 * is a name or an x86-64 number. bpftrace's own lines ("Attaching 2 probes...", the maps it
 * prints at exit, blank lines) are counted as skipped, not records. Lines are printed at the
 * call's exit, so entry times (ts_ns) interleave between threads and CPUs.
 */
import { oneLine } from './call-text';
import { Interner, type RecordSink, type SyscallLineParser } from './record-sink';
import { readSyscallField } from './syscall-table';
import { joinNs, parseNsDigits } from './time';
import type { RawSyscall } from './types';

/** Reasons under which bpftrace and csv rows are counted in the ProblemLog. */
export const COLUMN_SKIP = {
  malformed: 'not a bpftrace record (expected ts_ns pid tid syscall ret dur_ns comm)',
  banner: 'bpftrace banner (not a record)',
  mapDump: 'bpftrace map printed at exit (not a record)',
  empty: 'empty line',
  ts: 'ts_ns is not a count of nanoseconds',
  pid: 'pid or tid is not a non-negative integer',
  syscall: 'syscall is neither a name nor a number',
  unknownNumber: 'syscall number not in the x86-64 table (kept as syscall_<n>)',
  ret: 'ret is not an integer',
  dur: 'dur_ns is not a non-negative integer',
} as const;

const ID = /^\d{1,10}$/;
const SIGNED = /^-?\d{1,19}$/;
const UNSIGNED = /^\d{1,19}$/;

/**
 * Checks the seven columns shared by the bpftrace and csv formats and yields the record; a bad
 * field counts the line in the ProblemLog. `none` is how the format writes an unknown ret or
 * dur_ns ("-" or "").
 */
export class ColumnRecords {
  private readonly names = new Interner();
  private readonly comms = new Interner();

  constructor(
    private readonly sink: RecordSink,
    private readonly none: string,
  ) {}

  add(tsText: string, pidText: string, tidText: string, syscallText: string, retText: string, durText: string, comm: string): void {
    const sink = this.sink;
    const at = parseNsDigits(tsText);
    if (at === null || tsText.startsWith('-')) return sink.malformed(COLUMN_SKIP.ts);
    if (!ID.test(pidText) || !ID.test(tidText)) return sink.malformed(COLUMN_SKIP.pid);
    sink.seen(at.sec, at.nsec);
    const tid = Number(tidText);
    if (!sink.keeps(at.sec, at.nsec, tid)) return sink.drop();
    const syscall = readSyscallField(syscallText);
    if (syscall === null) return sink.malformed(COLUMN_SKIP.syscall);
    if (retText !== this.none && !SIGNED.test(retText)) return sink.malformed(COLUMN_SKIP.ret);
    if (durText !== this.none && !UNSIGNED.test(durText)) return sink.malformed(COLUMN_SKIP.dur);
    if (!syscall.known) sink.note(sink.lineNo, COLUMN_SKIP.unknownNumber, syscallText);
    sink.emit(
      at.sec,
      at.nsec,
      Number(pidText),
      tid,
      this.comms.get(comm),
      this.names.get(syscall.name),
      retText === this.none ? null : Number(retText),
      durText === this.none ? null : Number(durText),
    );
  }
}

/** Parses bpftrace lines into records. */
export class BpftraceParser implements SyscallLineParser {
  private readonly columns: ColumnRecords;

  constructor(private readonly sink: RecordSink) {
    this.columns = new ColumnRecords(sink, '-');
  }

  line(buf: Buffer, start: number, end: number): void {
    const L = buf.toString('utf8', start, end);
    const s1 = L.indexOf(' ');
    const s2 = s1 < 0 ? -1 : L.indexOf(' ', s1 + 1);
    const s3 = s2 < 0 ? -1 : L.indexOf(' ', s2 + 1);
    const s4 = s3 < 0 ? -1 : L.indexOf(' ', s3 + 1);
    const s5 = s4 < 0 ? -1 : L.indexOf(' ', s4 + 1);
    const s6 = s5 < 0 ? -1 : L.indexOf(' ', s5 + 1);
    if (s6 < 0) {
      if (L.trim() === '') return this.sink.skip(COLUMN_SKIP.empty);
      if (L.startsWith('Attaching ')) return this.sink.skip(COLUMN_SKIP.banner);
      if (L.startsWith('@')) return this.sink.skip(COLUMN_SKIP.mapDump);
      return this.sink.malformed(COLUMN_SKIP.malformed);
    }
    this.columns.add(L.slice(0, s1), L.slice(s1 + 1, s2), L.slice(s2 + 1, s3), L.slice(s3 + 1, s4), L.slice(s4 + 1, s5), L.slice(s5 + 1, s6), L.slice(s6 + 1));
  }

  finish(): void {}
}

/** One record as a bpftrace line; a line break in comm is written as '?'. */
export function formatBpftraceLine(r: RawSyscall): string {
  return `${joinNs(r.sec, r.nsec)} ${r.pid} ${r.tid} ${r.syscall} ${r.ret ?? '-'} ${r.durNs ?? '-'} ${oneLine(r.comm)}\n`;
}
