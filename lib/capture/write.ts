/**
 * writeCapture: writes tables back as a capture folder in the formats its manifest names, each
 * syscall file on its own clock. What the simulator calls, and the inverse of loadCapture.
 */
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { writeProcesses, writeTruth } from './csv';
import { writeJaegerFile } from './jaeger';
import { PROCESSES_FILE, TRUTH_FILE } from './load';
import { writeManifest } from './manifest';
import { writeOtlpFile } from './otlp';
import { spanRecords } from './spans';
import { writeSyscallFile } from './syscalls';
import { addInstant, splitNs } from './time';
import type { CaptureTables, RawSyscall, SyscallFileEntry, Table } from './types';

/** Options of writeCapture. */
export interface WriteOptions {
  /** Timestamp precision of syscall formats that print decimal seconds (strace, perf-trace). */
  precision?: 'us' | 'ns';
}

/**
 * Writes a capture folder: manifest.json, processes.csv, truth.csv (when given), every
 * manifest.traces entry (all spans, in that entry's format) and every manifest.syscalls entry
 * (the syscalls of its host, and of its pid when it names one, at origin + ts_ns - offsetNs on
 * the file's clock). Throws before writing anything when some syscalls fall in no entry.
 */
export async function writeCapture(dir: string, c: CaptureTables, opts: WriteOptions = {}): Promise<void> {
  const rows = syscallRowsPerEntry(c.manifest.syscalls, c.syscalls);
  await mkdir(dir, { recursive: true });
  await writeManifest(dir, c.manifest);
  await writeProcesses(join(dir, PROCESSES_FILE), c.processes);
  if (c.truth !== null) await writeTruth(join(dir, TRUTH_FILE), c.truth);
  const spans = spanRecords(c.spans, c.originNs);
  for (const entry of c.manifest.traces) {
    const path = join(dir, entry.path);
    await mkdir(dirname(path), { recursive: true });
    await (entry.format === 'jaeger' ? writeJaegerFile : writeOtlpFile)(path, spans);
  }
  for (const [k, entry] of c.manifest.syscalls.entries()) {
    const path = join(dir, entry.path);
    await mkdir(dirname(path), { recursive: true });
    await writeSyscallFile(path, entry.format, fileRecords(c.syscalls, rows[k], c.originNs - entry.offsetNs), { precision: opts.precision });
  }
}

/** The row numbers of `syscalls` that go to each entry; throws when a row goes to none. */
function syscallRowsPerEntry(entries: readonly SyscallFileEntry[], syscalls: Table): number[][] {
  const rows = entries.map(() => [] as number[]);
  const byHost = new Map<string, number[]>();
  entries.forEach((e, k) => byHost.set(e.host, [...(byHost.get(e.host) ?? []), k]));
  const host = syscalls.getter('host');
  const pid = syscalls.getter('pid');
  const unplaced = new Map<string, number>();
  const n = syscalls.numRows();
  for (let r = 0; r < n; r++) {
    const h = host(r);
    const p = pid(r);
    let placed = false;
    for (const k of byHost.get(h) ?? []) {
      if (entries[k].pid === undefined || entries[k].pid === p) {
        rows[k].push(r);
        placed = true;
      }
    }
    if (!placed) unplaced.set(`${h} pid ${p}`, (unplaced.get(`${h} pid ${p}`) ?? 0) + 1);
  }
  if (unplaced.size > 0) {
    const list = [...unplaced].slice(0, 5).map(([k, count]) => `${k} (${count} calls)`).join(', ');
    throw new Error(`writeCapture: syscalls of ${list}${unplaced.size > 5 ? ', …' : ''} match no manifest.syscalls entry; add an entry for their host (and pid)`);
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
    if (!Number.isSafeInteger(t)) throw new RangeError(`syscalls row ${r}: ts_ns is ${String(t)}, not an integer count of ns`);
    const sec = Math.floor(t / 1e9);
    const at = addInstant(base, { sec, nsec: t - sec * 1e9 });
    yield { sec: at.sec, nsec: at.nsec, pid: pid(r), tid: tid(r), comm: comm(r), syscall: syscall(r), ret: ret(r) ?? null, durNs: dur(r) ?? null };
  }
}
