/**
 * Syscall CSV: header `ts_ns,pid,tid,comm,syscall,ret,dur_ns` (columns in any order, extra
 * columns ignored), one call per row; ret and dur_ns empty when unknown; comm quoted (RFC 4180)
 * when it holds a comma or a quote. A quoted field cannot span lines.
 */
import { ColumnRecords } from './column-records';
import { oneLine } from './call-text';
import { formatCsvField, splitCsvLine } from './csv';
import { CaptureError } from './problems';
import type { RecordSink, SyscallLineParser } from './record-sink';
import { joinNs } from './time';
import type { RawSyscall } from './types';

/** The columns a syscall CSV must have, in the order the writer puts them. */
export const SYSCALL_CSV_COLUMNS = ['ts_ns', 'pid', 'tid', 'comm', 'syscall', 'ret', 'dur_ns'] as const;

/** Reasons under which csv rows are counted in the ProblemLog (besides the column checks). */
export const CSV_SKIP = {
  malformed: 'malformed CSV line (unbalanced quotes)',
  fieldCount: 'wrong number of fields',
  empty: 'empty line',
} as const;

/** Parses syscall CSV lines into records; the first line must be the header. */
export class CsvSyscallParser implements SyscallLineParser {
  private readonly columns: ColumnRecords;
  /** Field index of each of SYSCALL_CSV_COLUMNS, and the header's field count. */
  private index: number[] | null = null;
  private width = 0;

  constructor(private readonly sink: RecordSink) {
    this.columns = new ColumnRecords(sink, '');
  }

  line(buf: Buffer, start: number, end: number): void {
    let L = buf.toString('utf8', start, end);
    if (this.index === null) {
      if (L.charCodeAt(0) === 0xfeff) L = L.slice(1);
      return this.header(L);
    }
    if (L === '') return this.sink.skip(CSV_SKIP.empty);
    const f = L.includes('"') ? splitCsvLine(L) : L.split(',');
    if (f === null) return this.sink.malformed(CSV_SKIP.malformed);
    if (f.length !== this.width) return this.sink.malformed(CSV_SKIP.fieldCount);
    const [ts, pid, tid, comm, syscall, ret, dur] = this.index;
    this.columns.add(f[ts], f[pid], f[tid], f[syscall], f[ret], f[dur], f[comm]);
  }

  finish(): void {}

  private header(L: string): void {
    const fields = splitCsvLine(L) ?? [];
    const index = SYSCALL_CSV_COLUMNS.map((c) => fields.indexOf(c));
    const missing = SYSCALL_CSV_COLUMNS.filter((_, k) => index[k] < 0);
    if (missing.length > 0) {
      throw new CaptureError(this.sink.file, this.sink.lineNo, `a header with the columns ${SYSCALL_CSV_COLUMNS.join(',')}`, `"${L.slice(0, 120)}" (missing ${missing.join(', ')})`);
    }
    this.index = index;
    this.width = fields.length;
  }
}

/** The header line of a syscall CSV. */
export const SYSCALL_CSV_HEADER = `${SYSCALL_CSV_COLUMNS.join(',')}\n`;

/** One record as a CSV row (columns SYSCALL_CSV_COLUMNS); a line break in comm is written as '?'. */
export function formatCsvSyscallLine(r: RawSyscall): string {
  return `${joinNs(r.sec, r.nsec)},${r.pid},${r.tid},${formatCsvField(oneLine(r.comm))},${r.syscall},${r.ret ?? ''},${r.durNs ?? ''}\n`;
}
