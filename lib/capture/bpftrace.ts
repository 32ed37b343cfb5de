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
import { ColumnRecords } from './column-records';
import type { RecordSink, SyscallLineParser } from './record-sink';
import { joinNs } from './time';
import type { RawSyscall } from './types';

/** Reasons under which bpftrace lines that are not records are counted (bad fields: COLUMN_SKIP). */
export const BPFTRACE_SKIP = {
  malformed: 'not a bpftrace record (expected ts_ns pid tid syscall ret dur_ns comm)',
  banner: 'bpftrace banner (not a record)',
  mapDump: 'bpftrace map printed at exit (not a record)',
  empty: 'empty line',
} as const;

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
      if (L.trim() === '') return this.sink.skip(BPFTRACE_SKIP.empty);
      if (L.startsWith('Attaching ')) return this.sink.skip(BPFTRACE_SKIP.banner);
      if (L.startsWith('@')) return this.sink.skip(BPFTRACE_SKIP.mapDump);
      return this.sink.malformed(BPFTRACE_SKIP.malformed);
    }
    this.columns.add(L.slice(0, s1), L.slice(s1 + 1, s2), L.slice(s2 + 1, s3), L.slice(s3 + 1, s4), L.slice(s4 + 1, s5), L.slice(s5 + 1, s6), L.slice(s6 + 1));
  }

  finish(): void {}
}

/** One record as a bpftrace line; a line break in comm is written as '?'. */
export function formatBpftraceLine(r: RawSyscall): string {
  return `${joinNs(r.sec, r.nsec)} ${r.pid} ${r.tid} ${r.syscall} ${r.ret ?? '-'} ${r.durNs ?? '-'} ${oneLine(r.comm)}\n`;
}
