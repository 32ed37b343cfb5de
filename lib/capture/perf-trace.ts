/**
 * perf trace text: what `perf trace -T` prints (perf 6.x). With -T the time is perf's clock in
 * ms: by default perf's local clock, close to but not exactly CLOCK_MONOTONIC; `perf trace
 * record -k CLOCK_MONOTONIC` then `perf trace -i perf.data -T` gives clock "monotonic" for the
 * manifest. Without -T, times are ms since the trace's first event. Durations are in ms. The thread shows as COMM/TID, TID (--no-comm), or not at
 * all when perf traces a single thread; perf prints ":TID" as the comm of a thread whose name it
 * does not know yet (read as '').
 *
 *   5069324.350 ( 0.084 ms): python3/7132 clone3(uargs: 0x7ffe5be748f0, size: 88)   = 7134
 *   5069324.446 (         ): python3/7132 futex(uaddr: 0xeb92330, op: WAIT_BITSET|...) ...
 *   5069324.446 ( 0.092 ms): python3/7132  ... [continued]: futex())                = 0
 *            ? (         ): :7133/7133  ... [continued]: clone3())                  = 0
 *   5069355.265 ( 0.003 ms): python3/7135 futex(...) = -1 EAGAIN (Resource temporarily unavailable)
 *
 * A call that another event interrupted is printed as an entry line ending in "..." and a
 * "[continued]" line with the result; the two become one record at the entry time. The
 * "[continued]" line of a new thread's or process's own return from clone/fork (time "?") is
 * not a call of its own. perf does not print clone3's flags, so a clone3 child's process is
 * not learned (a clone's is, from THREAD in its flags).
 */
import { BAD_RESULT, ID_TOO_LARGE, isDigit, isNameChar, latin1ToUtf8, MAX_ID, oneLine, parseReturnValue, resultStart } from './call-text';
import { Dictionary } from './dictionary';
import type { RecordSink, SyscallLineParser } from './record-sink';
import { cloneKind, type CloneKind, type MadeByClone, type ThreadPids } from './thread-pids';
import { parseDecimalSeconds, type Instant } from './time';
import type { RawSyscall } from './types';

const SPACE = 32;
const OPEN_PAREN = 40;
const CONTINUED = ' ... [continued]: ';
/** Linux comms are at most 15 bytes; perf prints 14. Room is left for comms written by other tools. */
const MAX_COMM_CHARS = 64;
const CLONE_CALLS: ReadonlySet<string> = new Set(['clone', 'clone3', 'fork', 'vfork']);

/** Reasons under which perf trace lines are counted in the ProblemLog. */
export const PERF_SKIP = {
  malformed: 'not a perf trace line (expected TIME ( DURATION ms): COMM/TID NAME(ARGS) = RESULT)',
  noResult: 'perf trace call without a result',
  badResult: BAD_RESULT,
  idTooLarge: ID_TOO_LARGE,
  noTid: 'line without a thread id and no pid given for the file',
  event: 'perf event that is not a syscall (not a record)',
  lost: 'perf lost events (not a record)',
  cloneChild: "a new thread's own return from clone (not a record)",
  noEntry: 'call continued without its entry (no entry time)',
  neverResumed: 'unfinished call never resumed (kept, result unknown)',
  empty: 'empty line',
} as const;

interface Pending {
  at: Instant;
  name: string;
  comm: string;
  keep: boolean;
  clone: CloneKind | null;
  lineNo: number;
}

/** Parses perf trace lines into records; `filePid` is the tid of lines without a thread. */
export class PerfTraceParser implements SyscallLineParser {
  private readonly pending = new Map<number, Pending>();
  private readonly names = new Dictionary();
  private readonly comms = new Dictionary(latin1ToUtf8);

  constructor(
    private readonly sink: RecordSink,
    private readonly pids: ThreadPids,
    private readonly filePid?: number,
  ) {}

  line(buf: Buffer, start: number, end: number): void {
    const sink = this.sink;
    const L = buf.toString('latin1', start, end);
    let i = 0;
    while (L.charCodeAt(i) === SPACE) i++;
    if (i === L.length) return sink.skip(PERF_SKIP.empty);
    if (L.startsWith('LOST ', i)) return sink.skip(PERF_SKIP.lost);

    // "TIME (DURATION): "; TIME is "?" for a continued call whose entry perf did not see.
    const t0 = i;
    while (L.charCodeAt(i) !== SPACE && i < L.length) i++;
    const timeText = L.slice(t0, i);
    const at = timeText === '?' ? null : msToInstant(timeText);
    if (at === undefined || !L.startsWith(' (', i)) return sink.malformed(PERF_SKIP.malformed);
    const close = L.indexOf('): ', i);
    if (close < 0) return sink.malformed(PERF_SKIP.malformed);
    const durText = L.slice(i + 2, close).trim();
    const durNs = durText === '' ? null : msToNs(durText);
    if (durNs === undefined) return sink.malformed(PERF_SKIP.malformed);
    i = close + 3;

    // The thread: "COMM/TID ", "TID " or nothing.
    let tid: number;
    let comm = '';
    const slash = threadSlash(L, i);
    if (slash >= 0) {
      const commText = L.slice(i, slash);
      i = slash + 1;
      tid = 0;
      let c: number;
      while (isDigit((c = L.charCodeAt(i)))) tid = tid * 10 + (c - 48), i++;
      if (tid > MAX_ID) return sink.malformed(PERF_SKIP.idTooLarge);
      if (commText !== `:${tid}`) comm = this.comms.get(commText);
      i++;
    } else if (isDigit(L.charCodeAt(i))) {
      tid = 0;
      let c: number;
      while (isDigit((c = L.charCodeAt(i)))) tid = tid * 10 + (c - 48), i++;
      if (c !== SPACE) return sink.malformed(PERF_SKIP.malformed);
      if (tid > MAX_ID) return sink.malformed(PERF_SKIP.idTooLarge);
      i++;
    } else {
      if (this.filePid === undefined) return sink.skip(PERF_SKIP.noTid);
      tid = this.filePid;
    }

    if (L.startsWith(CONTINUED, i)) return this.continued(L, i + CONTINUED.length, at, durNs, tid, comm);
    if (at === null) return sink.malformed(PERF_SKIP.malformed);
    sink.seen(at.sec, at.nsec);

    const name0 = i;
    let c: number;
    while (isNameChar((c = L.charCodeAt(i)))) i++;
    if (i === name0) return sink.malformed(PERF_SKIP.malformed);
    if (c !== OPEN_PAREN) return sink.skip(PERF_SKIP.event);
    const name = this.names.get(L.slice(name0, i));
    const keep = sink.keeps(at.sec, at.nsec, tid);
    const clone = cloneKind(name, L);

    if (L.endsWith('...') && resultStart(L, i, L.length) < 0) {
      const old = this.pending.get(tid);
      if (old !== undefined) this.neverResumed(tid, old);
      if (clone !== null) this.pids.cloneEntered();
      this.pending.set(tid, { at, name, comm, keep, clone, lineNo: sink.lineNo });
      return;
    }
    if (!keep && clone === null) return sink.drop();
    const r = resultStart(L, i, L.length);
    if (r < 0) return sink.malformed(PERF_SKIP.noResult);
    const ret = this.known(parseReturnValue(L, r, L.length));
    if (clone !== null) this.pids.cloneReturned(tid, ret, clone, false);
    if (keep) this.pids.emit(at.sec, at.nsec, tid, comm, name, ret, durNs);
    else sink.drop();
  }

  finish(): void {
    for (const [tid, p] of this.pending) this.neverResumed(tid, p);
    this.pending.clear();
    this.pids.finish();
  }

  /** "... [continued]: NAME()) = RESULT": completes the thread's entry line, or stands alone. */
  private continued(L: string, i: number, at: Instant | null, durNs: number | null, tid: number, comm: string): void {
    const sink = this.sink;
    const paren = L.indexOf('(', i);
    if (paren < 0) return sink.malformed(PERF_SKIP.malformed);
    const name = L.slice(i, paren);
    const r = resultStart(L, paren, L.length);
    if (r < 0) return sink.malformed(PERF_SKIP.noResult);
    const parsed = parseReturnValue(L, r, L.length);
    const p = this.pending.get(tid);
    if (p !== undefined && p.name === name) {
      const ret = this.known(parsed);
      this.pending.delete(tid);
      sink.stats.joined++;
      if (p.clone !== null) this.pids.cloneReturned(tid, ret, p.clone, true);
      // The "[continued]" line repeats the entry time, or prints "?" when perf lost it.
      if (p.keep) this.pids.emit(p.at.sec, p.at.nsec, tid, comm || p.comm, p.name, ret, durNs);
      else sink.drop();
      return;
    }
    if (at === null) {
      // the child's own return: 0, or printed as "?" or nothing
      if (CLONE_CALLS.has(name) && (parsed ?? 0) === 0) {
        this.pids.childSeen(tid);
        return sink.skip(PERF_SKIP.cloneChild);
      }
      return sink.skip(PERF_SKIP.noEntry);
    }
    const internedName = this.names.get(name);
    if (!sink.keeps(at.sec, at.nsec, tid)) return sink.drop();
    this.pids.emit(at.sec, at.nsec, tid, comm, internedName, this.known(parsed), durNs);
  }

  /** A parsed return value of a call that is kept; one that is not a number is counted and read as unknown. */
  private known(ret: number | null | undefined): number | null {
    if (ret !== undefined) return ret;
    this.sink.skip(PERF_SKIP.badResult);
    return null;
  }

  private neverResumed(tid: number, p: Pending): void {
    this.sink.note(p.lineNo, PERF_SKIP.neverResumed, `${tid} ${p.name}(`);
    if (p.clone !== null) this.pids.cloneAbandoned();
    if (p.keep) this.pids.emit(p.at.sec, p.at.nsec, tid, p.comm, p.name, null, null);
    else this.sink.drop();
  }
}

/**
 * The '/' between COMM and TID at L[from...]: the first '/' followed by digits, a space and a
 * call (a comm may itself hold '/', spaces and parentheses, as "kworker/0:1"). -1 when none.
 */
function threadSlash(L: string, from: number): number {
  let s = L.indexOf('/', from);
  while (s >= 0 && s - from <= MAX_COMM_CHARS) {
    let k = s + 1;
    while (isDigit(L.charCodeAt(k))) k++;
    if (k > s + 1 && L.charCodeAt(k) === SPACE && (isNameChar(L.charCodeAt(k + 1)) || L.startsWith(CONTINUED, k + 1))) return s;
    s = L.indexOf('/', s + 1);
  }
  return -1;
}

/** "5069298.627" ms (at most 6 fraction digits) as an Instant; undefined when malformed. */
function msToInstant(text: string): Instant | undefined {
  const ms = parseDecimalSeconds(text); // whole ms in .sec, the fraction of a ms in .nsec
  if (ms === null || ms.nsec % 1000 !== 0) return undefined;
  return { sec: Math.floor(ms.sec / 1000), nsec: (ms.sec % 1000) * 1_000_000 + ms.nsec / 1000 };
}

/** "0.168 ms" as ns; undefined when malformed. */
function msToNs(text: string): number | undefined {
  if (!text.endsWith(' ms')) return undefined;
  const ms = parseDecimalSeconds(text.slice(0, -3).trimStart());
  if (ms === null || ms.nsec % 1000 !== 0) return undefined;
  return ms.sec * 1e6 + ms.nsec / 1000;
}

/**
 * One record as `perf trace -T` prints it: "MS ( DUR ms): COMM/TID NAME() = RET". Arguments are
 * not kept in records, so none are written but the flags of a clone whose child is known (`made`;
 * for clone3 too, which perf itself prints without flags); ret null is written "?", an unknown
 * duration as blanks, an empty comm as perf's ":TID". The pid is not written (perf trace prints
 * none). `digits` are the fraction digits of the ms time and duration: 3 (what perf prints, µs)
 * or 6 (ns).
 */
export function formatPerfTraceLine(r: RawSyscall, digits: 3 | 6, made: MadeByClone | null = null): string {
  const frac = digits === 3 ? Math.floor((r.nsec % 1e6) / 1000) : r.nsec % 1e6;
  const time = `${r.sec * 1000 + Math.floor(r.nsec / 1e6)}.${`${frac}`.padStart(digits, '0')}`;
  const dur = r.durNs === null ? ' '.repeat(digits + 6) : `${msText(r.durNs, digits).padStart(digits + 3)} ms`;
  const comm = r.comm === '' ? `:${r.tid}` : oneLine(r.comm);
  const args = made === null ? '' : made === 'thread' ? 'clone_flags: VM|THREAD' : 'clone_flags: 0x11';
  return `${time.padStart(digits + 7)} (${dur}): ${comm}/${r.tid} ${r.syscall}(${args}) = ${r.ret === null ? '?' : r.ret}\n`;
}

/** ns as ms with `digits` fraction digits, truncating. */
function msText(ns: number, digits: 3 | 6): string {
  const units = digits === 3 ? Math.floor(ns / 1000) : ns; // µs or ns
  return `${Math.floor(units / 10 ** digits)}.${`${units % 10 ** digits}`.padStart(digits, '0')}`;
}
