/**
 * Which process a thread belongs to, for the formats that print thread ids only (strace, perf
 * trace). In order: a tid listed as a process (knownPids) is that process's main thread; a
 * clone seen in the file puts its child in the caller's process (CLONE_THREAD) or makes it a
 * new process; otherwise the file's own pid (SyscallFileEntry.pid); otherwise -1 (unknown).
 * A clone in the file is more specific than the file's pid: `strace -f -p PID` follows forks.
 *
 * A new thread often runs before its parent's clone returns, so the records of a tid never
 * seen before are held while a clone is in flight, and released when clones return.
 */
import type { RecordSink } from './record-sink';
import type { RawSyscall } from './types';

/** What a clone made: a thread of the caller's process, a new process, or unknown (flags not printed). */
export type CloneKind = 'thread' | 'process' | 'unknown';

/** What a clone is known to have made (a writer prints it as the clone's flags). */
export type MadeByClone = Exclude<CloneKind, 'unknown'>;

/** The flags argument as strace ("flags=CLONE_VM|...") and perf trace ("clone_flags: VM|...") print it. */
const CLONE_FLAGS = /\b(?:flags=|clone_flags: )([^,)}]*)/;
/** The CLONE_THREAD flag in such a list (perf leaves out the CLONE_ prefix). */
const THREAD_FLAG = /(?:^|\|)(?:CLONE_)?THREAD(?:\||$)/;

/**
 * What the call `name` on line L makes, or null for a call that makes no task: clone and clone3
 * make a thread with CLONE_THREAD in their flags, else a process; without printed flags (perf's
 * clone3, lines written by writeSyscallFile) the kind is unknown. fork and vfork make processes.
 */
export function cloneKind(name: string, L: string): CloneKind | null {
  if (name === 'fork' || name === 'vfork') return 'process';
  if (name !== 'clone' && name !== 'clone3') return null;
  const flags = CLONE_FLAGS.exec(L);
  if (flags === null) return 'unknown';
  return THREAD_FLAG.test(flags[1].trim()) ? 'thread' : 'process';
}

/** Held records beyond this are released with what is known (a clone that never returned). */
const MAX_HELD = 100_000;

/** Resolves thread ids to process ids while a syscall file streams by. */
export class ThreadPids {
  private readonly newProcess = new Set<number>();
  private readonly parentThread = new Map<number, number>();
  /**
   * Tids resolved through the file's pid: seen with no clone in flight (so not a new child), or
   * made by a clone whose flags are unknown.
   */
  private readonly settled = new Map<number, number>();
  /** perf trace: children whose half of the clone came before their parent's result. */
  private readonly unborn = new Set<number>();
  private inFlight = 0;
  private held: RawSyscall[] = [];

  constructor(
    private readonly sink: RecordSink,
    private readonly filePid?: number,
    private readonly knownPids?: ReadonlySet<number>,
  ) {}

  /** Yields a record whose pid is resolved from `tid`, now or once the clones in flight return. */
  emit(sec: number, nsec: number, tid: number, comm: string, syscall: string, ret: number | null, durNs: number | null): void {
    const pid = this.pidOf(tid, 0);
    if (pid !== undefined) {
      this.sink.emit(sec, nsec, pid, tid, comm, syscall, ret, durNs);
      return;
    }
    this.held.push({ sec, nsec, pid: -1, tid, comm, syscall, ret, durNs });
    if (this.held.length > MAX_HELD) this.finish();
  }

  /** A clone (or fork) was entered and has not returned yet. */
  cloneEntered(): void {
    this.inFlight++;
  }

  /**
   * A clone returned `childTid` to `callerTid` (0, negative or null: no child). `entered` says
   * whether cloneEntered was called for it.
   */
  cloneReturned(callerTid: number, childTid: number | null, kind: CloneKind, entered: boolean): void {
    if (entered && this.inFlight > 0) this.inFlight--;
    if (childTid !== null && childTid > 0) {
      // A tid can be reused after its thread exits: the newest clone wins.
      this.newProcess.delete(childTid);
      this.parentThread.delete(childTid);
      this.settled.delete(childTid);
      this.unborn.delete(childTid);
      if (kind === 'thread') this.parentThread.set(childTid, callerTid);
      else if (kind === 'process') this.newProcess.add(childTid);
      else if (!this.knownPids?.has(childTid)) this.settled.set(childTid, this.filePid ?? -1);
    }
    this.release();
  }

  /** A clone entered earlier will not return (its thread exited). */
  cloneAbandoned(): void {
    if (this.inFlight > 0) this.inFlight--;
    this.release();
  }

  /**
   * perf trace: `tid` printed its own return from a clone; unless its parent's result came
   * already, its records wait for it.
   */
  childSeen(tid: number): void {
    if (!this.settled.has(tid) && !this.newProcess.has(tid) && !this.parentThread.has(tid)) this.unborn.add(tid);
  }

  /** Releases every held record with what is known now (end of file). */
  finish(): void {
    this.inFlight = 0;
    this.unborn.clear();
    this.release();
  }

  private pidOf(tid: number, depth: number): number | undefined {
    // Settled first, the common case: a settled tid is in no other map, nor in knownPids
    // (cloneReturned and the end of this function keep it so).
    const settled = this.settled.get(tid);
    if (settled !== undefined) return settled;
    if (this.knownPids?.has(tid) || this.newProcess.has(tid)) return tid;
    const parent = this.parentThread.get(tid);
    if (parent !== undefined && depth < 64) return this.pidOf(parent, depth + 1);
    if (this.inFlight > 0 || this.unborn.has(tid)) return undefined;
    const pid = this.filePid ?? -1;
    this.settled.set(tid, pid);
    return pid;
  }

  private release(): void {
    if (this.held.length === 0) return;
    const waiting: RawSyscall[] = [];
    for (const r of this.held) {
      const pid = this.pidOf(r.tid, 0);
      if (pid === undefined) waiting.push(r);
      else this.sink.emit(r.sec, r.nsec, pid, r.tid, r.comm, r.syscall, r.ret, r.durNs);
    }
    this.held = waiting;
  }
}
