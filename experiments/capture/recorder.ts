/**
 * Records the system calls of the shop's processes while a phase runs: eBPF (bpftrace on the
 * raw_syscalls tracepoints, filtered to the shop's pids, ns timestamps on CLOCK_MONOTONIC), or
 * `strace -f -p PID` per process as the fallback (realtime, ns). Files are the tools' own output,
 * in the formats lib/capture reads.
 */
import { execFile } from 'node:child_process';
import { createReadStream, existsSync } from 'node:fs';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import type { SyscallFileEntry } from '../../lib/capture/index';
import type { Processes, Started } from './processes';
import { PYTHON } from './shop';

const run = promisify(execFile);

/** The syscall tools the harness can record with. */
export type Tracer = 'bpftrace' | 'strace';

/** A process to record, with the name its file gets (strace writes one file per process). */
export interface Traced {
  pid: number;
  name: string;
}

/** What a stopped recording wrote. */
export interface Recorded {
  /** The manifest entries of the files written. */
  files: SyscallFileEntry[];
  /**
   * Events the tool said it lost (bpftrace's "Lost N events" when its ring buffer overflowed):
   * calls missing from the files. Always 0 with strace, which stops the traced thread instead.
   */
  lostEvents: number;
}

/** A recording in progress. */
export interface Recording {
  /** Stops the tool(s) and says what they wrote. */
  stop(): Promise<Recorded>;
}

/**
 * CLOCK_REALTIME - CLOCK_MONOTONIC in ns, read by Python (clock_gettime_ns on both clocks): the pair
 * of realtime readings around a monotonic one with the shortest gap of 2000, so the error is about
 * half that gap (returned too, in ns). eBPF's nsecs is CLOCK_MONOTONIC.
 */
export async function monotonicToRealtime(): Promise<{ offsetNs: bigint; gapNs: number }> {
  const code = [
    'import time',
    'R, M = time.CLOCK_REALTIME, time.CLOCK_MONOTONIC',
    'best = None',
    'for _ in range(2000):',
    '    a = time.clock_gettime_ns(R); m = time.clock_gettime_ns(M); b = time.clock_gettime_ns(R)',
    '    if best is None or b - a < best[0]: best = (b - a, a + (b - a) // 2 - m)',
    'print(best[1], best[0])',
  ].join('\n');
  const { stdout } = await run(PYTHON, ['-c', code]);
  const [offset, gap] = stdout.trim().split(' ');
  return { offsetNs: BigInt(offset), gapNs: Number(gap) };
}

/** Why a tracer cannot run here, or null when it can. */
export function tracerProblem(tracer: Tracer): string | null {
  if (tracer === 'bpftrace' && !existsSync('/sys/kernel/tracing/events/raw_syscalls') && !existsSync('/sys/kernel/debug/tracing/events/raw_syscalls')) {
    return 'no raw_syscalls tracepoints (mount tracefs: mount -t tracefs nodev /sys/kernel/tracing)';
  }
  return null;
}

/**
 * The bpftrace script: every call of the listed processes, one line at exit,
 * `ts_ns pid tid nr ret dur_ns comm` with ts_ns the entry time; exit and exit_group (which never
 * return) at entry with ret and dur_ns "-". The syscall is its x86-64 number (bpftrace 0.17 cannot
 * name it; lib/capture maps it).
 */
export function bpftraceScript(pids: readonly number[]): string {
  const filter = pids.map((p) => `pid == ${p}`).join(' || ');
  return `tracepoint:raw_syscalls:sys_enter /${filter}/ {
  if (args->id == 60 || args->id == 231) {
    printf("%llu %d %d %ld - - %s\\n", nsecs, pid, tid, args->id, comm);
  } else {
    @start[tid] = nsecs;
    @nr[tid] = args->id;
  }
}

tracepoint:raw_syscalls:sys_exit /@start[tid]/ {
  printf("%llu %d %d %ld %ld %llu %s\\n", @start[tid], pid, tid, @nr[tid], args->ret, nsecs - @start[tid], comm);
  delete(@start[tid]);
  delete(@nr[tid]);
}

END {
  clear(@start);
  clear(@nr);
}
`;
}

/** Starts recording `traced` into `dir`/syscalls (files named after `host`); `work` holds logs. */
export async function startRecording(
  tracer: Tracer, procs: Processes, traced: readonly Traced[], dir: string, host: string, work: string, offsetNs: bigint,
): Promise<Recording> {
  return tracer === 'bpftrace' ? startBpftrace(procs, traced, dir, host, work, offsetNs) : startStrace(procs, traced, dir, host, work);
}

async function startBpftrace(procs: Processes, traced: readonly Traced[], dir: string, host: string, work: string, offsetNs: bigint): Promise<Recording> {
  const script = join(work, 'shop-syscalls.bt');
  await writeFile(script, bpftraceScript(traced.map((t) => t.pid)));
  const path = `syscalls/${host}.bpftrace`;
  const out = join(dir, path);
  // The log is appended to by every phase: this phase's part starts at its current size.
  const log = join(work, 'bpftrace.log');
  const logStart = (await stat(log).catch(() => null))?.size ?? 0;
  // A larger per-CPU ring buffer than the default 64 pages: bursts of a few thousand calls must not be lost.
  const p = await procs.start('bpftrace', 'bpftrace', ['-o', out, script], { log, env: { BPFTRACE_PERF_RB_PAGES: '1024' } });
  await waitForText(out, 'Attaching', 'bpftrace to attach', p, 30_000);
  await sleep(1000); // the banner is printed before the probes are live
  return {
    async stop() {
      await procs.stop(p, 'SIGINT', 10_000);
      // bpftrace prints "Lost N events" with its output (-o), but look in its stderr too.
      const lostEvents = (await countLostEvents(out)) + (await countLostEvents(log, logStart));
      return { files: [{ host, path, format: 'bpftrace', clock: 'monotonic', offsetNs }], lostEvents };
    },
  };
}

/** The events bpftrace reported lost in `file` (from byte `start`): the sum of its "Lost N events" lines. */
export async function countLostEvents(file: string, start = 0): Promise<number> {
  if (!existsSync(file)) return 0;
  let lost = 0;
  // Streamed: a long phase's output can be larger than memory allows reading at once.
  for await (const line of createInterface({ input: createReadStream(file, { start }), crlfDelay: Infinity })) {
    const m = /^Lost (\d+) events$/.exec(line);
    if (m) lost += Number(m[1]);
  }
  return lost;
}

async function startStrace(procs: Processes, traced: readonly Traced[], dir: string, host: string, work: string): Promise<Recording> {
  const running: { p: Started; entry: SyscallFileEntry }[] = [];
  for (const t of traced) {
    const path = `syscalls/${host}.${t.name}.strace`;
    const log = join(work, `strace-${t.name}.log`);
    await writeFile(log, '');
    const p = await procs.start(`strace ${t.name}`, 'strace', ['-f', '--timestamps=unix,ns', '-T', '-o', join(dir, path), '-p', String(t.pid)], { log });
    running.push({ p, entry: { host, path, format: 'strace', clock: 'realtime', offsetNs: 0n, pid: t.pid } });
  }
  for (const { p } of running) await waitForText(join(work, `strace-${p.name.slice('strace '.length)}.log`), 'attached', `${p.name} to attach`, p, 30_000);
  return {
    async stop() {
      await Promise.all(running.map(({ p }) => procs.stop(p, 'SIGINT', 10_000)));
      return { files: running.map((r) => r.entry), lostEvents: 0 };
    },
  };
}

/** Waits until `file` contains `text`; fails if the process exits first or the time runs out. */
async function waitForText(file: string, text: string, what: string, p: Started, timeoutMs: number): Promise<void> {
  let exited: string | null = null;
  void p.exited.then(({ code, signal }) => (exited = `exited with ${signal ?? code}`));
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    const content = existsSync(file) ? await readFile(file, 'utf8').catch(() => '') : '';
    if (content.includes(text)) return;
    if (exited) throw new Error(`waiting for ${what}: it ${exited} (see ${file})`);
    await sleep(100);
  }
  throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what} (${file})`);
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
