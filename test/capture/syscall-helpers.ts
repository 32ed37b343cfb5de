/** Shared by the syscall reader tests: temp files, seeded sample records, checks on real fixtures. */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ProblemLog } from '../../lib/capture/problems';
import { readSyscallFile, writeSyscallFile, type ReadSyscallsOptions } from '../../lib/capture/syscalls';
import type { RawSyscall, SyscallFormat } from '../../lib/capture/types';

/** The folder of the real strace, perf trace and bpftrace recordings. */
export const REAL_FIXTURES = join(__dirname, '..', 'fixtures', 'real');

/** Reads `content` as a syscall file named `label` (default "x.FORMAT") in a temp folder. */
export async function readContent(content: string | Buffer, format: SyscallFormat, opts: Partial<ReadSyscallsOptions> = {}) {
  const dir = await mkdtemp(join(tmpdir(), 'ds-syscalls-'));
  try {
    const path = join(dir, `x.${format}`);
    await writeFile(path, content);
    const problems = new ProblemLog();
    const records: RawSyscall[] = [];
    const stats = await readSyscallFile(path, format, (r) => records.push(r), { problems, label: `x.${format}`, ...opts });
    return { records, stats, problems };
  } finally {
    await rm(dir, { recursive: true });
  }
}

/** Writes records with writeSyscallFile and reads them back; also returns the written text. */
export async function roundTrip(records: RawSyscall[], format: SyscallFormat, precision: 'us' | 'ns', opts: Partial<ReadSyscallsOptions> = {}) {
  const dir = await mkdtemp(join(tmpdir(), 'ds-syscalls-rt-'));
  try {
    const path = join(dir, `rt.${format}`);
    await writeSyscallFile(path, format, records, { precision });
    const text = await readFile(path, 'utf8');
    const problems = new ProblemLog();
    const back: RawSyscall[] = [];
    await readSyscallFile(path, format, (r) => back.push(r), { problems, ...opts });
    return { back, text, problems };
  } finally {
    await rm(dir, { recursive: true });
  }
}

/**
 * Seeded records with the shapes writers must keep: unknown ret and duration, errors, addresses,
 * durations over a second, comms with spaces, '/', commas, quotes and non-ASCII letters. `pid`
 * is every record's pid; tids are pid..pid+3.
 */
export function sampleRecords(n: number, seed: number, pid: number, comms = ['', 'worker 0', 'python3', 'kworker/0:1', 'a,b"c', 'wörker ü']): RawSyscall[] {
  let s = seed >>> 0;
  const rand = () => (s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32;
  const names = ['futex', 'read', 'epoll_wait', 'mmap', 'exit_group', 'clock_nanosleep'];
  const out: RawSyscall[] = [];
  let sec = 1795686628;
  let nsec = 0;
  for (let i = 0; i < n; i++) {
    nsec += 1 + Math.floor(rand() * 900_000_000);
    if (nsec >= 1e9) {
      sec++;
      nsec -= 1e9;
    }
    const k = Math.floor(rand() * 5);
    out.push({
      sec,
      nsec,
      pid,
      tid: pid + Math.floor(rand() * 4),
      comm: comms[Math.floor(rand() * comms.length)],
      syscall: names[Math.floor(rand() * names.length)],
      ret: k === 0 ? null : k === 1 ? -11 : k === 2 ? 140714410995712 : Math.floor(rand() * 5000),
      durNs: k === 3 ? null : Math.floor(rand() * 3e9),
    });
  }
  return out;
}

/** `records` with timestamps and durations truncated to whole µs. */
export function truncateToUs(records: readonly RawSyscall[]): RawSyscall[] {
  return records.map((r) => ({ ...r, nsec: r.nsec - (r.nsec % 1000), durNs: r.durNs === null ? null : r.durNs - (r.durNs % 1000) }));
}

/**
 * A thread makes one call at a time: by entry time, each of a thread's calls starts no earlier
 * than the previous one ended, up to `slackNs` (the format's rounding). With `inOrder`, the
 * records of each thread must also have come out of the reader in entry-time order.
 */
export function assertOneCallAtATime(records: readonly RawSyscall[], what: string, slackNs: number, inOrder: boolean): void {
  const byTid = new Map<number, RawSyscall[]>();
  for (const r of records) {
    const list = byTid.get(r.tid) ?? [];
    list.push(r);
    byTid.set(r.tid, list);
  }
  const ns = (r: RawSyscall) => r.sec * 1e9 + r.nsec; // a double: exact enough for gaps of a µs
  for (const [tid, list] of byTid) {
    const sorted = inOrder ? list : list.slice().sort((a, b) => a.sec - b.sec || a.nsec - b.nsec);
    for (let i = 1; i < sorted.length; i++) {
      const prev = sorted[i - 1];
      const gap = ns(sorted[i]) - ns(prev);
      assert.ok(gap >= 0, `${what}: tid ${tid}: ${sorted[i].syscall} came out after a later call`);
      if (prev.durNs !== null) {
        assert.ok(gap + slackNs >= prev.durNs, `${what}: tid ${tid}: ${sorted[i].syscall} starts ${prev.durNs - gap} ns before ${prev.syscall} ended`);
      }
    }
  }
}
