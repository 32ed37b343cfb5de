/**
 * The real capture harness: starts the shop, warms it up, then records three phases (idle, isolated,
 * live) at both layers (the services' spans, the kernel's syscalls) and writes each as a capture
 * folder with source "real". Every process it starts is stopped by pid before it returns or throws.
 */
import { execFile } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { mkdir, mkdtemp, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { hostname, release, tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';
import type { CaptureMode } from '../../lib/capture/index';
import { writePhase } from './assemble';
import { TASKS, runIsolated, runLive, type LoadStats } from './load';
import { Processes } from './processes';
import { compilerSlices } from './jit';
import { monotonicToRealtime, startRecording, tracerProblem, type Tracer } from './recorder';
import { PYTHON, buildJava, fetchSpans, startShop, type Instance } from './shop';

const run = promisify(execFile);

/** The harness's settings; see defaultOptions and shortOptions. */
export interface CaptureOptions {
  /** The folder that gets idle/, isolated/, live/ and README.md. */
  out: string;
  tracer: Tracer | 'auto';
  replicas: number;
  seed: number;
  /** Seconds of the idle phase. */
  idleS: number;
  /** Requests of each trace type in the isolated phase. */
  perType: number;
  /** Requests in the live phase, and its concurrent users. */
  liveRequests: number;
  concurrency: number;
  /**
   * Warm-up before recording (class loading, the JIT's compilations, first connections): rounds
   * of `warmup` requests of each type (on average), concurrency as live, repeated until a round
   * leaves the JVMs' compiler threads quiet (at most `quietSlices` wake-ups in all) or after
   * `warmupRounds` rounds. A short warm-up leaves the JVMs compiling through the recorded phases.
   */
  warmup: number;
  warmupRounds: number;
  quietSlices: number;
  /**
   * The scratch folder (logs, compiled classes, redis's working directories). Without it, one is
   * made in the system's temporary folder and removed at the end unless keepWork.
   */
  work?: string;
  keepWork?: boolean;
  log?: (msg: string) => void;
}

/** The full run: a capture set of a few MB, in a few minutes. */
export function defaultOptions(out: string): CaptureOptions {
  return { out, tracer: 'auto', replicas: 2, seed: 1, idleS: 10, perType: 10, liveRequests: 80, concurrency: 2, warmup: 100, warmupRounds: 15, quietSlices: 60 };
}

/** The short run the test uses: seconds of recording. */
export function shortOptions(out: string): CaptureOptions {
  return { ...defaultOptions(out), idleS: 2, perType: 1, liveRequests: 8, warmup: 5, warmupRounds: 1 };
}

/** Where a run writes until all three phases succeeded (then moved into `out`). */
export function stagingDir(out: string): string {
  return `${out}.partial`;
}

/** The three phases, in recording order, and their folder names. */
export const PHASES: readonly CaptureMode[] = ['idle', 'isolated', 'live'];

/** One phase as written. */
export interface PhaseResult {
  mode: CaptureMode;
  dir: string;
  spans: number;
  bytes: number;
  load: LoadStats | null;
  /** Events the tracer said it lost (Recorded.lostEvents): calls missing from the phase. */
  lostEvents: number;
}

/**
 * What the harness cannot run without here, as messages saying what to install or do; the tracer
 * chosen when nothing is missing ('auto' prefers bpftrace).
 */
export function prerequisites(tracer: Tracer | 'auto'): { tracer: Tracer | null; missing: string[] } {
  const missing: string[] = [];
  if (process.getuid?.() !== 0) missing.push('not root: bpftrace and strace -p need root (run it as root, e.g. sudo npm run capture:real)');
  for (const [cmd, pkg] of [['java', 'openjdk-17-jdk-headless'], ['javac', 'openjdk-17-jdk-headless'], ['redis-server', 'redis-server']]) {
    if (!onPath(cmd)) missing.push(`${cmd} not found: apt-get install ${pkg}`);
  }
  if (!isExecutable(PYTHON)) missing.push(`${PYTHON} not found: apt-get install python3`);
  const usable = (t: Tracer) => onPath(t) && tracerProblem(t) === null;
  let chosen: Tracer | null = tracer === 'auto' ? (usable('bpftrace') ? 'bpftrace' : usable('strace') ? 'strace' : null) : tracer;
  if (chosen === null) missing.push('neither bpftrace nor strace can run: apt-get install bpftrace (or strace)');
  else if (!onPath(chosen)) missing.push(`${chosen} not found: apt-get install ${chosen}`);
  else if (tracerProblem(chosen) !== null) missing.push(`${chosen}: ${tracerProblem(chosen)}`);
  if (missing.length > 0) chosen = null;
  return { tracer: chosen, missing };
}

/** Runs the shop and records the three phases into opts.out; see the module comment. */
export async function captureShop(opts: CaptureOptions, procs = new Processes()): Promise<PhaseResult[]> {
  const log = opts.log ?? (() => {});
  const pre = prerequisites(opts.tracer);
  if (pre.tracer === null) throw new Error(`cannot record here:\n  ${pre.missing.join('\n  ')}`);
  const tracer = pre.tracer;
  const work = opts.work ?? (await mkdtemp(join(tmpdir(), 'deepstitch-shop-')));
  const staging = stagingDir(opts.out);
  const host = hostname();
  try {
    await rm(staging, { recursive: true, force: true });
    const versions = await toolVersions(tracer);
    log(`building the Java services (${versions.java})`);
    const classes = await buildJava(work);
    const clock = await monotonicToRealtime();
    log(`starting the shop (${opts.replicas} replicas per service) in ${work}`);
    const instances = await startShop(procs, { replicas: opts.replicas, host, seed: opts.seed, work, monoToRealNs: clock.offsetNs }, classes);
    const apps = instances.filter((i) => i.runtime !== 'redis');
    log(`${instances.length} processes up`);
    const replicas = new Map<string, number[]>();
    for (const i of instances) replicas.set(i.service, [...(replicas.get(i.service) ?? []), i.port]);
    const warm = await warmUp(replicas, instances.filter((i) => i.runtime === 'java').map((i) => i.pid), opts, log);
    assertRunning(instances, procs);
    for (const i of apps) await fetchSpans(i); // the warm-up's spans are not part of any phase

    const results: PhaseResult[] = [];
    for (const mode of PHASES) {
      const dir = join(staging, mode);
      await mkdir(join(dir, 'syscalls'), { recursive: true });
      const before = await monotonicToRealtime();
      log(`${mode}: recording with ${tracer}`);
      const recording = await startRecording(tracer, procs, instances.map((i) => ({ pid: i.pid, name: i.instance })), dir, host, work, before.offsetNs);
      let load: LoadStats | null = null;
      if (mode === 'idle') await sleep(opts.idleS * 1000);
      else if (mode === 'isolated') load = await runIsolated(replicas, { perType: opts.perType, seed: opts.seed, gapMs: [40, 120] });
      else load = await runLive(replicas, { concurrency: opts.concurrency, requests: opts.liveRequests, seed: opts.seed });
      await sleep(300); // the last responses' closing calls are recorded too
      // On an error the recorder is stopped with the rest, in the finally below.
      const { files: syscalls, lostEvents } = await recording.stop();
      assertRunning(instances, procs);
      if (lostEvents > 0) log(`${mode}: WARNING: ${tracer} lost ${lostEvents} events (its ring buffer overflowed): those calls are missing from the capture`);
      const after = await monotonicToRealtime();
      if (load && load.errors > 0) log(`${mode}: ${load.errors} of ${load.requests} requests failed (${load.timeouts} timed out), e.g. ${load.firstErrors[0]}`);
      const spanDocs = await Promise.all(apps.map(fetchSpans));
      const written = await writePhase({
        dir, name: `shop-real-${mode}`, mode, host, instances, spanDocs, syscalls, seed: opts.seed,
        params: {
          ...versions, tracer, replicas: opts.replicas, warmup: warm,
          ...(mode === 'idle' ? { seconds: opts.idleS } : mode === 'isolated' ? { perType: opts.perType, gapMs: [40, 120] } : { requests: opts.liveRequests, concurrency: opts.concurrency }),
          load,
          lostEvents,
          // CLOCK_REALTIME - CLOCK_MONOTONIC before and after the phase (ns, with the read gap).
          monotonicToRealtimeNs: { before: before.offsetNs.toString(), after: after.offsetNs.toString(), beforeGapNs: before.gapNs, afterGapNs: after.gapNs },
        },
      });
      results.push({ mode, dir: join(opts.out, mode), spans: written.spans, bytes: await folderBytes(dir), load, lostEvents });
      log(`${mode}: ${written.spans} spans, ${(results.at(-1)!.bytes / 1e6).toFixed(2)} MB`);
    }
    await procs.stopAll();
    await writeFile(join(staging, 'README.md'), readme(results, versions, opts, tracer, warm));
    await mkdir(opts.out, { recursive: true });
    for (const name of [...PHASES, 'README.md']) {
      await rm(join(opts.out, name), { recursive: true, force: true });
      await rename(join(staging, name), join(opts.out, name));
    }
    return results;
  } finally {
    await procs.stopAll();
    await rm(staging, { recursive: true, force: true }); // left only by a failed run
    if (opts.keepWork) log(`logs and classes kept in ${work}`);
    else if (opts.work === undefined) await rm(work, { recursive: true, force: true });
  }
}

/** Throws when a process of the shop has exited: its calls would be missing from the capture. */
function assertRunning(instances: readonly Instance[], procs: Processes): void {
  const running = new Set(procs.list().map((p) => p.pid));
  const gone = instances.filter((i) => !running.has(i.pid)).map((i) => i.instance);
  if (gone.length > 0) throw new Error(`${gone.join(', ')} exited during the run (see the logs; --keep-work keeps them)`);
}

/** What the warm-up did, for the manifest. */
interface WarmUp {
  requests: number;
  rounds: number;
  /** Compiler-thread wake-ups in each round, in all JVMs. */
  compilerSlices: number[];
}

/** Warm-up rounds until the JIT is quiet (see CaptureOptions.warmup); fails on a failed request. */
async function warmUp(replicas: ReadonlyMap<string, readonly number[]>, jvms: readonly number[], opts: CaptureOptions, log: (m: string) => void): Promise<WarmUp> {
  const done: WarmUp = { requests: 0, rounds: 0, compilerSlices: [] };
  let before = await compilerSlices(jvms);
  while (done.rounds < opts.warmupRounds) {
    const stats = await runLive(replicas, { concurrency: opts.concurrency, requests: opts.warmup * TASKS.length, seed: opts.seed + 1000 + done.rounds });
    if (stats.errors > 0) throw new Error(`the shop fails requests while warming up (${stats.errors} failed, ${stats.timeouts} timed out): ${stats.firstErrors.join('; ')}`);
    const after = await compilerSlices(jvms);
    done.requests += stats.requests;
    done.rounds++;
    done.compilerSlices.push(after - before);
    before = after;
    log(`warm-up round ${done.rounds}: ${stats.requests} requests, JIT compiler threads woke ${done.compilerSlices.at(-1)} times`);
    if (done.compilerSlices.at(-1)! <= opts.quietSlices) return done;
  }
  if (opts.warmupRounds > 1) log(`the JIT is still compiling after ${done.rounds} warm-up rounds; recording anyway`);
  return done;
}

/** Versions of everything that shaped the capture, for the manifest and the README. */
async function toolVersions(tracer: Tracer): Promise<Record<string, string>> {
  const first = async (cmd: string, args: string[]) => {
    const { stdout, stderr } = await run(cmd, args);
    return (stdout || stderr).split('\n')[0].trim();
  };
  return {
    kernel: release(),
    [tracer]: await first(tracer, tracer === 'bpftrace' ? ['--version'] : ['-V']),
    java: await first('java', ['-version']),
    python: await first(PYTHON, ['--version']),
    node: process.version,
    redis: await first('redis-server', ['--version']),
  };
}

function readme(results: readonly PhaseResult[], versions: Record<string, string>, opts: CaptureOptions, tracer: Tracer, warm: WarmUp): string {
  const rows = results.map((r) => `| ${r.mode} | ${r.spans} | ${r.load ? Object.entries(r.load.byType).map(([t, n]) => `${t} ×${n}`).join(', ') : `${opts.idleS} s, no requests`} | ${r.lostEvents} | ${(r.bytes / 1e6).toFixed(2)} MB |`);
  return [
    '# Real shop captures',
    '',
    `Recorded on this machine by \`npm run capture:real\` (experiments/capture/, see its README) on ${new Date().toISOString().slice(0, 10)}: source "real", syscalls by ${tracer}.`,
    `The shop: front-end (Node, OpenTelemetry JS), catalogue, carts, orders (Java), user, payment (Python), ${opts.replicas} replicas each, five redis databases, on loopback; seed ${opts.seed}; ${warm.requests} warm-up requests before recording (until the JIT compiler threads were quiet: ${warm.compilerSlices.join(', ')} wake-ups per round).`,
    'Table 2 on it: `npx tsx experiments/reproduce.ts --idle data/real/idle --isolated data/real/isolated --live data/real/live --out results/real`.',
    '',
    `Lost events are the calls ${tracer} reported losing (ring buffer overflow): 0 means the syscall files are complete.`,
    '',
    '| phase | spans | requests | lost events | size |',
    '|---|---|---|---|---|',
    ...rows,
    '',
    Object.entries(versions).map(([k, v]) => `- ${k}: ${v}`).join('\n'),
    '',
  ].join('\n');
}

async function folderBytes(dir: string): Promise<number> {
  let total = 0;
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, e.name);
    total += e.isDirectory() ? await folderBytes(path) : (await stat(path)).size;
  }
  return total;
}

function onPath(cmd: string): boolean {
  return (process.env.PATH ?? '').split(delimiter).some((d) => d !== '' && isExecutable(join(d, cmd)));
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
