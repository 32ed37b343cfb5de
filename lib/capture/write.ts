/**
 * writeCapture: writes tables back as a capture folder in the formats its manifest names, each
 * syscall file on its own clock. What the simulator calls, and the inverse of loadCapture.
 */
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { MAX_ID, MAX_RESULT } from './call-text';
import { writeProcesses, writeTruth } from './csv';
import { writeJaegerFile } from './jaeger';
import { PROCESSES_FILE, TRUTH_FILE } from './load';
import { writeManifest } from './manifest';
import { writeOtlpFile } from './otlp';
import { spanRecords } from './spans';
import { writeSyscallFile } from './syscalls';
import { addInstant, splitNs } from './time';
import { SYSCALL_COLUMNS, type CaptureTables, type RawSyscall, type SyscallFileEntry, type Table } from './types';

/** Options of writeCapture. */
export interface WriteOptions {
  /** Timestamp precision of syscall formats that print decimal seconds (strace, perf-trace). */
  precision?: 'us' | 'ns';
}

/**
 * Writes a capture folder: manifest.json, processes.csv, truth.csv (when given), every
 * manifest.traces entry (all spans, in that entry's format) and every manifest.syscalls entry
 * (the syscalls of its host, at origin + ts_ns - offsetNs on the file's clock). Each syscall goes
 * to exactly one entry of its host: the one naming its pid, else the one naming no pid.
 * Throws before writing anything when a syscall fits no entry or several (two entries of a host
 * without a pid, or naming the same pid), or when a syscall or span field cannot be written
 * (times and durations must be integer ns, pid and tid 32-bit ids, ret an integer below 2^63).
 */
export async function writeCapture(dir: string, c: CaptureTables, opts: WriteOptions = {}): Promise<void> {
  const rows = syscallRowsPerEntry(c.manifest.syscalls, c.syscalls);
  const spans = spanRecords(c.spans, c.originNs);
  await mkdir(dir, { recursive: true });
  await writeManifest(dir, c.manifest);
  await writeProcesses(join(dir, PROCESSES_FILE), c.processes);
  if (c.truth !== null) await writeTruth(join(dir, TRUTH_FILE), c.truth);
  for (const entry of c.manifest.traces) {
    const path = join(dir, entry.path);
    await mkdir(dirname(path), { recursive: true });
    await (entry.format === 'jaeger' ? writeJaegerFile : writeOtlpFile)(path, spans);
  }
  const tid = c.syscalls.getter('tid');
  const pid = c.syscalls.getter('pid');
  for (const [k, entry] of c.manifest.syscalls.entries()) {
    const path = join(dir, entry.path);
    await mkdir(dirname(path), { recursive: true });
    const threadPids = new Map<number, number>();
    for (const r of rows[k]) threadPids.set(tid(r), pid(r));
    await writeSyscallFile(path, entry.format, fileRecords(c.syscalls, rows[k], c.originNs - entry.offsetNs), { precision: opts.precision, threadPids });
  }
}

/** A syscall name as every reader reads it back: a name, not a number. */
const SYSCALL_NAME = /^[a-z_][a-z0-9_]*$/;

type SyscallGetters = Record<(typeof SYSCALL_COLUMNS)[number], (row: number) => unknown>;

/** Why `row` of the syscalls table cannot be written so that it reads back the same, or null. */
function unwritable(g: SyscallGetters, row: number): string | null {
  const ts = g.ts_ns(row);
  const dur = g.dur_ns(row) ?? null;
  const ret = g.ret(row) ?? null;
  const pid = g.pid(row);
  const tid = g.tid(row);
  const syscall = g.syscall(row);
  if (!Number.isSafeInteger(ts)) return `ts_ns is ${String(ts)}, not an integer count of ns`;
  if (dur !== null && !(Number.isSafeInteger(dur) && (dur as number) >= 0)) return `dur_ns is ${String(dur)}, not null or a non-negative integer count of ns`;
  if (ret !== null && !(Number.isInteger(ret) && Math.abs(ret as number) < MAX_RESULT)) return `ret is ${String(ret)}, not null or an integer below 2^63`;
  if (!(Number.isInteger(pid) && (pid as number) >= -1 && (pid as number) <= MAX_ID)) return `pid is ${String(pid)}, not -1 (unknown) or an id in 0..2^31-1`;
  if (!(Number.isInteger(tid) && (tid as number) >= 0 && (tid as number) <= MAX_ID)) return `tid is ${String(tid)}, not an id in 0..2^31-1`;
  if (typeof g.comm(row) !== 'string') return `comm is ${String(g.comm(row))}, not a string`;
  if (typeof syscall !== 'string' || !SYSCALL_NAME.test(syscall)) return `syscall is ${JSON.stringify(syscall)}, not a name of a-z, 0-9 and _`;
  return null;
}

/**
 * The row numbers of `syscalls` that go to each entry (see writeCapture). Throws when a row
 * cannot be written, or fits no entry or several.
 */
function syscallRowsPerEntry(entries: readonly SyscallFileEntry[], syscalls: Table): number[][] {
  const rows = entries.map(() => [] as number[]);
  // per host: the entries naming each pid, and the entries naming none
  const byHost = new Map<string, { byPid: Map<number, number[]>; anyPid: number[] }>();
  entries.forEach((e, k) => {
    let h = byHost.get(e.host);
    if (h === undefined) byHost.set(e.host, (h = { byPid: new Map(), anyPid: [] }));
    if (e.pid === undefined) h.anyPid.push(k);
    else h.byPid.set(e.pid, [...(h.byPid.get(e.pid) ?? []), k]);
  });
  const g = Object.fromEntries(SYSCALL_COLUMNS.map((name) => [name, syscalls.getter(name)])) as SyscallGetters;
  const unplaced = new Map<string, number>();
  const ambiguous = new Map<string, { entries: number[]; calls: number }>();
  const n = syscalls.numRows();
  for (let row = 0; row < n; row++) {
    const why = unwritable(g, row);
    if (why !== null) throw new RangeError(`writeCapture: syscalls row ${row}: ${why}; nothing was written`);
    const host = g.host(row) as string;
    const pid = g.pid(row) as number;
    const h = byHost.get(host);
    const fits = h?.byPid.get(pid) ?? h?.anyPid ?? [];
    const key = `${host} pid ${pid}`;
    if (fits.length === 1) rows[fits[0]].push(row);
    else if (fits.length === 0) unplaced.set(key, (unplaced.get(key) ?? 0) + 1);
    else ambiguous.set(key, { entries: fits, calls: (ambiguous.get(key)?.calls ?? 0) + 1 });
  }
  if (unplaced.size > 0) {
    const list = [...unplaced].slice(0, 5).map(([k, count]) => `${k} (${count} calls)`).join(', ');
    throw new Error(`writeCapture: syscalls of ${list}${unplaced.size > 5 ? ', …' : ''} match no manifest.syscalls entry; add an entry for their host (and pid); nothing was written`);
  }
  if (ambiguous.size > 0) {
    const list = [...ambiguous].slice(0, 5).map(([k, a]) => `${k} (${a.calls} calls) fit ${a.entries.map((e) => entries[e].path).join(' and ')}`).join('; ');
    throw new Error(`writeCapture: syscalls of ${list}${ambiguous.size > 5 ? '; …' : ''}: each call must go to one manifest.syscalls entry; ` +
      'give each entry of a host its own pid, keeping at most one entry without a pid; nothing was written');
  }
  return rows;
}

/** The syscalls of `rows` as records on a file's clock, where `baseNs` = origin - offsetNs. */
function* fileRecords(syscalls: Table, rows: readonly number[], baseNs: bigint): Generator<RawSyscall> {
  const base = splitNs(baseNs);
  const get = (name: string) => syscalls.getter(name);
  const [ts, pid, tid, comm, syscall, ret, dur] = ['ts_ns', 'pid', 'tid', 'comm', 'syscall', 'ret', 'dur_ns'].map(get);
  for (const r of rows) {
    const t = ts(r) as number;
    const sec = Math.floor(t / 1e9);
    const at = addInstant(base, { sec, nsec: t - sec * 1e9 });
    yield { sec: at.sec, nsec: at.nsec, pid: pid(r), tid: tid(r), comm: comm(r), syscall: syscall(r), ret: ret(r) ?? null, durNs: dur(r) ?? null };
  }
}
