/**
 * strace text: what `strace -f -ttt -T` (µs) and `strace -f --timestamps=unix,ns -T` (ns) print.
 *
 *   6498  1795686628.373413 futex(0x7ffa..., FUTEX_WAKE_PRIVATE, 1) = 1 <0.000022>      (-o FILE)
 *   [pid  6557] 1795686635.100918 rseq(0x7fbd..., 0x20, 0, 0x53053053 <unfinished ...>  (stderr)
 *   [pid  6557] 1795686635.100938 <... rseq resumed>) = 0 <0.000009>
 *   1795686635.150073 exit_group(0)         = ?                                        (one process)
 *   8768<python3> 1795686815.921113916 getpid() = 8768<python3> <0.000004>              (-Y)
 *
 * An unfinished call and its resumed line become one record at the entry time, with the
 * result and duration of the resumed line. "+++ exited" lines count as exits, "--- SIG" lines
 * as signals. Only the line's prefix and its tail (result, duration) are parsed: arguments may
 * hold any text, so the result is the last " = " that follows a ')'.
 */
import { BAD_RESULT, ID_TOO_LARGE, latin1ToUtf8, MAX_ID, oneLine, parseReturnValue, resultStart } from './call-text';
import { Dictionary } from './dictionary';
import { formatDecimalSeconds, joinNs, type Instant } from './time';
import type { RecordSink, SyscallLineParser } from './record-sink';
import { cloneKind, type CloneKind, type MadeByClone, type ThreadPids } from './thread-pids';
import type { RawSyscall } from './types';

const SPACE = 32;
const DOT = 46;
const COLON = 58;
const LT = 60;
const GT = 62;
const OPEN_PAREN = 40;

/** nameAt's table of names has 1024 slots: a host makes a few hundred distinct syscalls at most. */
const NAME_SLOT_MASK = 1023;

const UNFINISHED = '<unfinished ...>';
const RESUMED = '<... ';
/** strace writes its own messages to stderr, where they can land in the middle of a call's line. */
const STRACE_MESSAGE = 'strace: ';
const ATTACH_MESSAGE = /strace: Process \d+ (attached|detached)$/;

/** Reasons under which strace lines are counted in the ProblemLog. */
export const STRACE_SKIP = {
  malformed: 'not a strace line (expected [TID] SEC.FRACTION NAME(ARGS) = RESULT)',
  noResult: 'strace call without a result (no " = " after its arguments)',
  badResult: BAD_RESULT,
  badDuration: 'duration is not <SEC.FRACTION> (call kept, dur_ns unknown)',
  idTooLarge: ID_TOO_LARGE,
  timeOfDay: 'time of day without a date (strace -t/-tt): record with -ttt or --timestamps=unix',
  noTid: 'line without a thread id and no pid given for the file',
  message: 'strace message (not a record)',
  orphanResumed: 'resumed call without its unfinished line',
  neverResumed: 'unfinished call never resumed (kept, result unknown)',
  empty: 'empty line',
} as const;

interface Pending {
  sec: number;
  nsec: number;
  name: string;
  comm: string;
  keep: boolean;
  clone: CloneKind | null;
  lineNo: number;
}

/** Parses strace lines into records; `filePid` is the tid of lines without a tid prefix. */
export class StraceParser implements SyscallLineParser {
  private readonly pending = new Map<number, Pending>();
  private readonly names = new Dictionary();
  /** The first name seen in each slot, by the hash of its characters (see nameAt). */
  private readonly namesByHash: (string | undefined)[] = new Array<string | undefined>(NAME_SLOT_MASK + 1).fill(undefined);
  private readonly comms = new Dictionary(latin1ToUtf8);
  /** The head of a line that strace's "Process N attached" message cut in two. */
  private spliced: { text: string; lineNo: number } | null = null;

  constructor(
    private readonly sink: RecordSink,
    private readonly pids: ThreadPids,
    private readonly filePid?: number,
  ) {}

  line(buf: Buffer, start: number, end: number): void {
    const text = buf.toString('latin1', start, end);
    if (this.spliced !== null) {
      // More messages can come before the rest of the cut line.
      if (text.startsWith(STRACE_MESSAGE)) return this.sink.skip(STRACE_SKIP.message);
      const head = this.spliced;
      this.spliced = null;
      const c = text.charCodeAt(0);
      if (!((c >= 48 && c <= 57) || text.startsWith('[pid '))) {
        this.parse(head.text + text, head.lineNo);
        return;
      }
      this.parse(head.text, head.lineNo);
    }
    this.parse(text, this.sink.lineNo);
  }

  finish(): void {
    if (this.spliced !== null) this.parse(this.spliced.text, this.spliced.lineNo);
    this.spliced = null;
    for (const [tid, p] of this.pending) this.neverResumed(tid, p);
    this.pending.clear();
    this.pids.finish();
  }

  private parse(L: string, lineNo: number): void {
    const sink = this.sink;
    const n = L.length;
    if (n === 0) return sink.skip(STRACE_SKIP.empty);
    // Prefix: "TID ", "TID<comm> ", "[pid TID] " or nothing.
    let i = 0;
    let tid = 0;
    let comm = '';
    let c = L.charCodeAt(0);
    if ((c >= 48 && c <= 57) || c === 91 /* [ */) {
      const bracket = c === 91;
      if (bracket) {
        if (!L.startsWith('[pid ', 0)) return sink.malformed(STRACE_SKIP.malformed);
        i = 5;
        while (L.charCodeAt(i) === SPACE) i++;
      }
      const t0 = i;
      while ((c = L.charCodeAt(i)) >= 48 && c <= 57) tid = tid * 10 + (c - 48), i++;
      if (i === t0) return sink.malformed(STRACE_SKIP.malformed);
      if (!bracket && c === COLON) return sink.skip(STRACE_SKIP.timeOfDay);
      if (!bracket && c === DOT) {
        // No prefix: the digits were the timestamp's seconds.
        if (this.filePid === undefined) return sink.skip(STRACE_SKIP.noTid);
        tid = this.filePid;
        i = 0;
      } else {
        // only 10 digits or more can exceed 2^31-1 (and MAX_ID is read only then: tsx compiles it to a getter)
        if (i - t0 > 9 && tid > MAX_ID) return sink.malformed(STRACE_SKIP.idTooLarge);
        if (c === LT) {
          const close = L.indexOf(bracket ? '>]' : '> ', i);
          if (close < 0) return sink.malformed(STRACE_SKIP.malformed);
          comm = this.comms.get(L.slice(i + 1, close));
          i = close + 1;
        }
        if (bracket && L.charCodeAt(i++) !== 93 /* ] */) return sink.malformed(STRACE_SKIP.malformed);
        if (L.charCodeAt(i) !== SPACE) return sink.malformed(STRACE_SKIP.malformed);
        while (L.charCodeAt(i) === SPACE) i++;
      }
    } else if (L.startsWith(STRACE_MESSAGE)) {
      return sink.skip(STRACE_SKIP.message);
    } else {
      return sink.malformed(STRACE_SKIP.malformed);
    }

    // Timestamp "SEC.FRACTION".
    // Read up to the next space in one pass; only a line that is not SEC.FRACTION there is scanned again.
    const space = L.indexOf(' ', i);
    const t = space > i ? scanSeconds(L, i, space) : null;
    if (t === null) {
      while (((c = L.charCodeAt(i)) >= 48 && c <= 57) || c === DOT) i++;
      return c === COLON ? sink.skip(STRACE_SKIP.timeOfDay) : sink.malformed(STRACE_SKIP.malformed);
    }
    i = space + 1;
    sink.seen(t.sec, t.nsec);

    c = L.charCodeAt(i);
    if (c === 43 /* + */ && L.startsWith('+++ ', i)) {
      sink.stats.exits++;
      const p = this.pending.get(tid);
      if (p !== undefined) {
        this.pending.delete(tid);
        this.neverResumed(tid, p);
      }
      return;
    }
    if (c === 45 /* - */ && L.startsWith('--- ', i)) {
      sink.stats.signals++;
      return;
    }
    if (c === LT) {
      if (!L.startsWith(RESUMED, i)) return sink.malformed(STRACE_SKIP.malformed);
      return this.resumed(L, i + RESUMED.length, tid);
    }

    // A call: NAME(ARGS...
    const name0 = i;
    let hash = 0;
    while (((c = L.charCodeAt(i)) >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 95) hash = (Math.imul(hash, 31) + c) | 0, i++;
    if (c !== OPEN_PAREN || i === name0) return sink.malformed(STRACE_SKIP.malformed);
    const name = this.nameAt(L, name0, i, hash);
    const keep = sink.keeps(t.sec, t.nsec, tid);
    const clone = cloneKind(name, L);

    if (L.endsWith(UNFINISHED)) {
      const old = this.pending.get(tid);
      if (old !== undefined) this.neverResumed(tid, old);
      if (clone !== null) this.pids.cloneEntered();
      this.pending.set(tid, { sec: t.sec, nsec: t.nsec, name, comm, keep, clone, lineNo });
      return;
    }
    if (L.endsWith('ached')) {
      const m = ATTACH_MESSAGE.exec(L);
      if (m !== null) {
        // stderr: strace printed "Process N attached" in the middle of this call's line.
        sink.skip(STRACE_SKIP.message);
        this.spliced = { text: L.slice(0, m.index), lineNo };
        return;
      }
    }
    if (!keep && clone === null) return sink.drop();
    const tail = parseTail(L, i, n, sink);
    if (tail === null) return sink.malformed(STRACE_SKIP.noResult);
    if (clone !== null) this.pids.cloneReturned(tid, tail.ret, clone, false);
    if (keep) this.pids.emit(t.sec, t.nsec, tid, comm, name, tail.ret, tail.durNs);
    else sink.drop();
  }

  /**
   * The shared string of the syscall name L[from, to), whose characters hash to `hash`. Found by
   * the hash without cutting the name out of the line first: this runs once per line.
   */
  private nameAt(L: string, from: number, to: number, hash: number): string {
    const slot = hash & NAME_SLOT_MASK;
    const known = this.namesByHash[slot];
    if (known !== undefined && known.length === to - from && L.startsWith(known, from)) return known;
    const name = this.names.get(L.slice(from, to));
    if (known === undefined) this.namesByHash[slot] = name;
    return name;
  }

  /** "<... NAME resumed>REST) = RESULT <DUR>": completes the thread's unfinished call. */
  private resumed(L: string, i: number, tid: number): void {
    const sink = this.sink;
    const close = L.indexOf('>', i);
    if (close < 0) return sink.malformed(STRACE_SKIP.malformed);
    const label = L.slice(i, close);
    const name = label.endsWith(' resumed') ? label.slice(0, -8) : label === 'resumed' ? '' : null;
    if (name === null) return sink.malformed(STRACE_SKIP.malformed);
    const p = this.pending.get(tid);
    if (p === undefined || (name !== '' && name !== p.name)) return sink.skip(STRACE_SKIP.orphanResumed);
    this.pending.delete(tid);
    const tail = parseTail(L, close + 1, L.length, sink);
    if (tail === null) {
      sink.malformed(STRACE_SKIP.noResult);
      return this.neverResumed(tid, p);
    }
    sink.stats.joined++;
    if (p.clone !== null) this.pids.cloneReturned(tid, tail.ret, p.clone, true);
    if (p.keep) this.pids.emit(p.sec, p.nsec, tid, p.comm, p.name, tail.ret, tail.durNs);
    else sink.drop();
  }

  /** An unfinished call whose resumed line never came: kept, with its result unknown. */
  private neverResumed(tid: number, p: Pending): void {
    this.sink.note(p.lineNo, STRACE_SKIP.neverResumed, `${tid} ${p.name}(`);
    if (p.clone !== null) this.pids.cloneAbandoned();
    if (p.keep) this.pids.emit(p.sec, p.nsec, tid, p.comm, p.name, null, null);
    else this.sink.drop();
  }
}

/** A call's result and duration. */
interface CallTail {
  ret: number | null;
  durNs: number | null;
}

/**
 * Parses the end of a complete call line, L[from, to): "... ) = RESULT [ERRNO (text)] [<DUR>]".
 * Returns null when there is no result. A result that is not a number, or a " <...>" at the end
 * that is neither a duration nor "<unavailable>", is counted in `sink` and read as unknown
 * (a "<...>" right after the result, as in "3</dev/null>" or "8768<python3>", belongs to it).
 */
function parseTail(L: string, from: number, to: number, sink: RecordSink): CallTail | null {
  let end = to;
  let durNs: number | null = null;
  let badDuration = false;
  if (L.charCodeAt(end - 1) === GT) {
    // A loop, not lastIndexOf: V8's lastIndexOf is a runtime call, slow on this once-a-line path.
    let open = end - 2;
    while (open > from && L.charCodeAt(open) !== LT) open--;
    if (open > from) {
      const d = scanSeconds(L, open + 1, end - 1);
      if (d !== null) {
        durNs = d.sec * 1e9 + d.nsec;
        end = open;
      } else if (L.charCodeAt(open - 1) === SPACE) {
        badDuration = !L.startsWith('<unavailable>', open);
        end = open;
      }
    }
  }
  const r = resultStart(L, from, end);
  if (r < 0) return null;
  if (badDuration) sink.skip(STRACE_SKIP.badDuration);
  const ret = parseReturnValue(L, r, end);
  if (ret === undefined) sink.skip(STRACE_SKIP.badResult);
  return { ret: ret ?? null, durNs };
}

const POW10 = [1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9];

/**
 * "SEC.FRACTION" at L[from, to) (up to 15 + 9 digits) as an Instant, or null. What time.ts
 * parseDecimalSeconds does, without making substrings: this runs twice per line on the hot path
 * of the ingest benchmark (and char tests are inlined because tsx compiles imports to getters).
 */
function scanSeconds(L: string, from: number, to: number): Instant | null {
  let i = from;
  let sec = 0;
  let c = 0;
  while (i < to && (c = L.charCodeAt(i)) >= 48 && c <= 57) sec = sec * 10 + (c - 48), i++;
  if (i === from || i - from > 15) return null;
  if (i === to) return { sec, nsec: 0 };
  if (c !== DOT) return null;
  const f0 = ++i;
  let frac = 0;
  while (i < to && (c = L.charCodeAt(i)) >= 48 && c <= 57) frac = frac * 10 + (c - 48), i++;
  if (i !== to || i - f0 > 9) return null;
  return { sec, nsec: frac * POW10[9 - (i - f0)] };
}

/**
 * One record as strace -f -o prints it: "TID  SEC.FRACTION NAME() = RET <DUR>", or with the
 * comm as `-Y` prints it ("TID<comm> ..."). 6 digits is `-ttt -T`; 9 digits is
 * `--timestamps=unix,ns --syscall-times=ns` (both truncate). Arguments are not kept in records,
 * so none are written but the flags of a clone whose child is known (`made`); ret null is
 * written "?", an unknown duration is left out. The pid is not written (strace prints none): the
 * reader gets it back from ReadSyscallsOptions.pid, knownPids and the clones.
 */
export function formatStraceLine(r: RawSyscall, digits: 6 | 9, made: MadeByClone | null = null): string {
  const prefix = r.comm === '' ? `${r.tid}`.padEnd(5) : `${r.tid}<${oneLine(r.comm)}>`;
  const args = made === null ? '' : made === 'thread' ? 'flags=CLONE_VM|CLONE_THREAD' : 'flags=SIGCHLD';
  const ret = r.ret === null ? '?' : `${r.ret}`;
  const dur = r.durNs === null ? '' : ` <${formatDecimalSeconds(BigInt(r.durNs), digits)}>`;
  return `${prefix} ${formatDecimalSeconds(joinNs(r.sec, r.nsec), digits)} ${r.syscall}(${args}) = ${ret}${dur}\n`;
}
