/**
 * The seven fields shared by the column formats, bpftrace and csv: ts_ns, pid, tid, syscall, ret,
 * dur_ns, comm. Each parser splits its lines its own way and hands the fields here.
 */
import { ID_TOO_LARGE, MAX_ID } from './call-text';
import { Dictionary } from './dictionary';
import type { RecordSink } from './record-sink';
import { readSyscallField } from './syscall-table';
import { parseNsDigits } from './time';

/** Reasons under which bpftrace and csv rows with a bad field are counted in the ProblemLog. */
export const COLUMN_SKIP = {
  ts: 'ts_ns is not a count of nanoseconds',
  pid: 'pid or tid is not a non-negative integer',
  idTooLarge: ID_TOO_LARGE,
  syscall: 'syscall is neither a name nor a number',
  unknownNumber: 'syscall number not in the x86-64 table (kept as syscall_<n>)',
  ret: 'ret is not an integer',
  dur: 'dur_ns is not a non-negative integer',
} as const;

const ID = /^\d{1,10}$/;
const SIGNED = /^-?\d{1,19}$/;
const UNSIGNED = /^\d{1,19}$/;

/**
 * Checks the seven fields of a bpftrace or csv row and yields the record; a bad field counts the
 * line in the ProblemLog. `none` is how the format writes an unknown ret or dur_ns ("-" or "").
 */
export class ColumnRecords {
  private readonly names = new Dictionary();
  private readonly comms = new Dictionary();

  constructor(
    private readonly sink: RecordSink,
    private readonly none: string,
  ) {}

  add(tsText: string, pidText: string, tidText: string, syscallText: string, retText: string, durText: string, comm: string): void {
    const sink = this.sink;
    const at = parseNsDigits(tsText);
    if (at === null || tsText.startsWith('-')) return sink.malformed(COLUMN_SKIP.ts);
    if (!ID.test(pidText) || !ID.test(tidText)) return sink.malformed(COLUMN_SKIP.pid);
    const pid = Number(pidText);
    const tid = Number(tidText);
    if (pid > MAX_ID || tid > MAX_ID) return sink.malformed(COLUMN_SKIP.idTooLarge);
    sink.seen(at.sec, at.nsec);
    if (!sink.keeps(at.sec, at.nsec, tid)) return sink.drop();
    const syscall = readSyscallField(syscallText);
    if (syscall === null) return sink.malformed(COLUMN_SKIP.syscall);
    if (retText !== this.none && !SIGNED.test(retText)) return sink.malformed(COLUMN_SKIP.ret);
    if (durText !== this.none && !UNSIGNED.test(durText)) return sink.malformed(COLUMN_SKIP.dur);
    if (!syscall.known) sink.note(sink.lineNo, COLUMN_SKIP.unknownNumber, syscallText);
    sink.emit(
      at.sec,
      at.nsec,
      pid,
      tid,
      this.comms.get(comm),
      this.names.get(syscall.name),
      retText === this.none ? null : Number(retText),
      durText === this.none ? null : Number(durText),
    );
  }
}
