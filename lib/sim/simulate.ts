/**
 * The simulator's entry: simulate(opts) builds Sock Shop on the simulated hosts, runs the idle,
 * isolated or live scenario, and returns the capture's tables (what writeCapture writes);
 * writeSimulatedCapture writes them as a capture folder.
 */
import * as aq from 'arquero';
import { SyscallColumns } from '../capture/syscall-columns';
import type { CaptureMode, CaptureTables, Manifest, SyscallFileEntry, Table, TraceFormat } from '../capture/types';
import { writeCapture } from '../capture/write';
import { endpointsWith } from './callgraph';
import { Engine, type Fiber, type SimThread, type SyscallOut } from './engine';
import { startProbes } from './idle';
import { startIsolated, startLive, type Mix } from './load';
import { Rng } from './rng';
import { buildProcess, connectClients, startThreads } from './runtimes';
import { SpanLog } from './spans';
import { PidSpace, hostList, placeServices } from './topology';
import type { Proc, StorageSpans, World } from './world';

/** The simulator's name and version in manifest.json's generator. */
export const SIM_TOOL = 'deepstitch-kit/sim';
export const SIM_VERSION = '1.0.0';

/** What to simulate. Every field has a default from SOCKSHOP.md's facts (see SIM_DEFAULTS). */
export interface SimOptions {
  mode: CaptureMode;
  seed?: number;
  /** Capture length in s (idle, live); for isolated, an upper bound (default: 3 s per instance). */
  durationS?: number;
  /** Isolated: the trace type, and how many requests of it. */
  traceType?: string;
  instances?: number;
  /** Isolated: idle time between one trace's end and the next request, ms [min, max]. */
  gapMs?: [number, number];
  /** Live: Locust users (concurrent requests), their task mix and wait between tasks (ms). */
  concurrency?: number;
  mix?: Mix;
  waitMs?: [number, number];
  /** Replicas of every service, hosts, and CPUs per host (GOMAXPROCS, GC threads, Erlang schedulers). */
  replicas?: number;
  hosts?: number;
  hostCpus?: number;
  /** Scales the chance of optional syscalls (spurious wake-ups, spins, lock contention); 0 removes them. */
  noise?: number;
  /**
   * Each host's clock error against true time, uniform in ±skewUs µs: the spans emitted on a host
   * and its syscalls carry the same error, so spans of different hosts disagree by their skews.
   */
  skewUs?: number;
  /** Chance that a syscall record is lost (eBPF ring buffer overruns). */
  dropRate?: number;
  /** Storage services with server spans: 'none' (stock Sock Shop), 'data' (the four databases), 'all' (+ redis, RabbitMQ). */
  storageSpans?: StorageSpans;
  /** Whether the kubelet's probes of the health services start GET /health traces (default: live only). */
  traceProbes?: boolean;
  /** Services whose /health is traced: probe traces in live captures, the targets of isolated GET /health. */
  healthServices?: string[];
  /** Trace types run under another endpoint's graph, e.g. { 'GET /orders': 'POST /orders' } (callgraph.endpointsWith). */
  graphFor?: Record<string, string>;
  /** Output formats: syscalls as strace (one file per process) or bpftrace (one per host); traces as Jaeger or OTLP JSON. */
  syscallFormat?: 'strace' | 'bpftrace';
  traceFormat?: TraceFormat;
  /** Capture name (default sockshop-sim-<mode>[-<trace type>|-c<concurrency>]). */
  name?: string;
  /** The capture's origin on the span clock: an ISO time on a whole second. */
  startTime?: string;
}

/** The defaults of every knob. */
export const SIM_DEFAULTS = {
  seed: 1,
  durationS: 10,
  instances: 20,
  gapMs: [40, 120] as [number, number],
  concurrency: 2,
  mix: { 'GET /orders': 1, 'GET /catalogue/{id}': 1, 'GET /customers': 1, 'GET /login': 1, 'POST /orders': 1 } as Mix,
  waitMs: [0, 0] as [number, number],
  replicas: 2,
  hosts: 3,
  hostCpus: 4,
  noise: 1,
  skewUs: 30,
  dropRate: 0,
  storageSpans: 'none' as StorageSpans,
  healthServices: ['catalogue', 'user', 'payment'],
  graphFor: {} as Record<string, string>,
  syscallFormat: 'bpftrace' as const,
  traceFormat: 'jaeger' as TraceFormat,
  startTime: '2024-11-26T07:00:00Z',
};

/** A simulated capture: the tables writeCapture takes, and what the run did. */
export interface SimCapture extends CaptureTables {
  truth: Table;
  stats: {
    /** Syscall records in the capture, and all that were simulated (warm-up and tail included). */
    syscalls: number;
    simulatedSyscalls: number;
    traces: number;
    /** Simulated time (s) and wall time the simulation took (ms, not part of the capture). */
    simulatedS: number;
    wallMs: number;
  };
  /** The simulated processes with their threads (for inspection and tests). */
  procs: Proc[];
}

/** Half-width (ns) of the error of a bpftrace file's clock offset estimate. */
const OFFSET_ERROR_NS = 2000;

/** Options that only change how a capture is written, not what happens in it. */
const PRESENTATION = new Set(['seed', 'skewUs', 'dropRate', 'syscallFormat', 'traceFormat', 'startTime']);

/** The label of a capture's random stream: every option that defines what happens, keys sorted. */
function captureLabel(o: Record<string, unknown>): string {
  const keys = Object.keys(o).filter((k) => !PRESENTATION.has(k) && o[k] !== undefined).sort();
  return `capture:${JSON.stringify(keys.map((k) => [k, o[k]]))}`;
}

/** Simulated time before the capture starts: threads settle into their loops. */
const WARMUP_NS = 300e6;

/** Runs one simulation. */
export function simulate(opts: SimOptions): SimCapture {
  const wallStart = performance.now();
  const o = { ...SIM_DEFAULTS, ...withoutUndefined(opts), mode: opts.mode };
  const traceProbes = opts.traceProbes ?? o.mode === 'live';
  if (o.mode === 'isolated' && opts.traceType === undefined) throw new Error('simulate: isolated mode needs traceType');
  const startMs = Date.parse(o.startTime);
  if (!Number.isFinite(startMs) || startMs % 1000 !== 0) throw new Error(`simulate: startTime "${o.startTime}" is not an ISO time on a whole second`);
  const originNs = BigInt(startMs) * 1_000_000n;

  const name = o.name ?? defaultName(o.mode, o.traceType, o.concurrency);
  const root = new Rng(o.seed);
  // The deployment (placement, pids, host clocks) is the seed's; everything that happens in it
  // draws from a stream of this capture, so captures that differ in any workload option share
  // no trace id and no run of syscalls.
  const run = root.fork(captureLabel({ ...o, traceProbes, name }));
  const recorder = new Recorder();
  const engine = new Engine(run.fork('engine'), recorder);
  const spans = new SpanLog(run.fork('ids'));
  recorder.spans = spans;
  const net = run.fork('net');
  const byService = new Map<string, Proc[]>();
  const w: World = {
    engine, spans, procs: [], pids: new PidSpace(root.fork('pids')),
    params: { hostCpus: o.hostCpus, noise: o.noise, storageSpans: o.storageSpans },
    replicas: (service) => byService.get(service) ?? [],
    // one-way delays: veth and bridge on one host, the overlay network between hosts, a LAN hop from outside
    netNs: (a, b) => Math.round(a === null || b === null ? net.lognormal(250e3, 0.3) : a.host === b.host ? net.lognormal(50e3, 0.35) : net.lognormal(150e3, 0.35)),
  };
  for (const pl of placeServices(root.fork('placement'), o.hosts, o.replicas)) {
    const p = buildProcess(w, pl, run.fork(`proc:${pl.instance}`));
    w.procs.push(p);
    byService.set(p.service, [...(byService.get(p.service) ?? []), p].sort((a, b) => a.replica - b.replica));
  }
  connectClients(w);
  w.procs.forEach(startThreads);

  const targets = { endpoints: endpointsWith(o.graphFor), healthServices: o.healthServices };
  startProbes(w, run.fork('kubelet'), (p) => traceProbes && o.healthServices.includes(p.service));
  const from = WARMUP_NS;
  let to = from + Math.round(o.durationS * 1e9);
  if (o.mode === 'live') {
    startLive(w, run.fork('locust'), targets, o.concurrency, o.mix, o.waitMs, from, to);
    engine.run(to);
  } else if (o.mode === 'isolated') {
    const cap = from + Math.round((opts.durationS ?? 3 * o.instances) * 1e9);
    let finished = -1;
    startIsolated(w, run.fork('locust'), targets, o.traceType as string, o.instances, o.gapMs, from + 20e6, (at) => (finished = at));
    while (finished < 0 && engine.now < cap) engine.run(Math.min(cap, engine.now + 1e9));
    to = finished < 0 ? cap : finished;
    engine.run(to);
  } else {
    engine.run(to);
  }

  const hosts = hostList(o.hosts);
  const clocks = root.fork('clocks');
  const hostSkewNs = new Map(hosts.map((h) => [h, Math.round(clocks.uniform(-o.skewUs, o.skewUs) * 1000)]));
  const uptime = new Map(hosts.map((h) => [h, BigInt(clocks.int(3 * 86400, 40 * 86400)) * 1_000_000_000n + BigInt(clocks.int(0, 999_999_999))]));
  // bpftrace's monotonic stamps are put on the host's realtime clock by an offset the harness
  // estimates once per capture by reading both clocks back to back: off by up to ~2 µs
  const offsetErr = run.fork('offsets');
  const offsetErrorNs = new Map(hosts.map((h) => [h, o.syscallFormat === 'bpftrace' ? Math.round(offsetErr.uniform(-OFFSET_ERROR_NS, OFFSET_ERROR_NS)) : 0]));
  const syscallShift = new Map(hosts.map((h) => [h, (hostSkewNs.get(h) as number) + (offsetErrorNs.get(h) as number)]));
  const syscalls = recorder.table(from, to, syscallShift, originNs, o.dropRate, run.fork('drops'));
  const { spans: spanTable, truth, traces } = spans.tables(from, to, hostSkewNs);
  // a file per host or process that has calls: strace of a process with none would be empty
  const traced = new Set<string>();
  const hostCol = syscalls.getter('host');
  const pidCol = syscalls.getter('pid');
  for (let r = 0; r < syscalls.numRows(); r++) traced.add(`${hostCol(r)}/${pidCol(r)}`);
  const manifest: Manifest = {
    format: 'deepstitch-capture/1',
    name,
    source: 'simulated',
    mode: o.mode,
    app: 'sockshop',
    createdAt: o.startTime,
    generator: {
      tool: SIM_TOOL,
      version: SIM_VERSION,
      seed: o.seed,
      params: {
        ...o, traceProbes, name, durationS: (to - from) / 1e9,
        hostSkewNs: Object.fromEntries(hostSkewNs), offsetErrorNs: Object.fromEntries(offsetErrorNs), warmupNs: WARMUP_NS,
      },
    },
    traces: [{ path: `traces/sim-${o.traceFormat}.json`, format: o.traceFormat }],
    syscalls: syscallEntries(w.procs.filter((p) => traced.has(`${p.host}/${p.pid}`)), o.syscallFormat, originNs, uptime),
  };
  const processes = aq.table({
    host: w.procs.map((p) => p.host), pid: w.procs.map((p) => p.pid), service: w.procs.map((p) => p.service),
    instance: w.procs.map((p) => p.instance), runtime: w.procs.map((p) => p.runtime),
  }).orderby('host', 'pid');
  return {
    manifest, originNs, spans: spanTable, syscalls, processes, truth, procs: w.procs,
    stats: {
      syscalls: syscalls.numRows(), simulatedSyscalls: recorder.length, traces,
      simulatedS: engine.now / 1e9, wallMs: performance.now() - wallStart,
    },
  };
}

/** Simulates and writes the capture folder `dir`; returns what simulate returns. */
export async function writeSimulatedCapture(dir: string, opts: SimOptions): Promise<SimCapture> {
  const c = simulate(opts);
  await writeCapture(dir, c, { precision: 'ns' });
  return c;
}

function defaultName(mode: CaptureMode, traceType: string | undefined, concurrency: number): string {
  if (mode === 'isolated') return `sockshop-sim-isolated-${slug(traceType ?? '')}`;
  if (mode === 'live') return `sockshop-sim-live-c${concurrency}`;
  return 'sockshop-sim-idle';
}

/** "GET /catalogue/{id}" → "get-catalogue-id": for capture and folder names. */
export function slug(traceType: string): string {
  return traceType.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');
}

/**
 * strace: one file per process (`strace -f -p PID`, realtime clock); bpftrace: one per host on
 * the monotonic clock, offsetNs = the origin minus the host's uptime at the origin.
 */
function syscallEntries(procs: readonly Proc[], format: 'strace' | 'bpftrace', originNs: bigint, uptime: Map<string, bigint>): SyscallFileEntry[] {
  if (format === 'bpftrace') {
    return [...new Set(procs.map((p) => p.host))].sort().map((host) => ({ host, path: `syscalls/sim-${host}.bpftrace`, format, clock: 'monotonic', offsetNs: originNs - (uptime.get(host) as bigint) }));
  }
  return [...procs].sort((a, b) => (a.host < b.host ? -1 : a.host > b.host ? 1 : a.pid - b.pid)).map((p) => ({
    host: p.host, path: `syscalls/sim-${p.host}-${p.service}-${p.pid}.strace`, format, clock: 'realtime', offsetNs: 0n, pid: p.pid,
  }));
}

function withoutUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** Collects every simulated syscall and counts it for the span its fiber serves. */
class Recorder implements SyscallOut {
  spans: SpanLog | null = null;
  private readonly threads: SimThread[] = [];
  private readonly threadIndex = new Map<SimThread, number>();
  private readonly names: string[] = [];
  private readonly nameIndex = new Map<string, number>();
  private readonly ts: number[] = [];
  private readonly dur: number[] = [];
  private readonly ret: number[] = [];
  private readonly thread: number[] = [];
  private readonly name: number[] = [];

  get length(): number {
    return this.ts.length;
  }

  syscall(th: SimThread, fiber: Fiber | null, name: string, ret: number, ts: number, dur: number): void {
    if (fiber !== null && fiber.span >= 0) (this.spans as SpanLog).count(fiber.span, th);
    let t = this.threadIndex.get(th);
    if (t === undefined) {
      t = this.threads.length;
      this.threads.push(th);
      this.threadIndex.set(th, t);
    }
    let n = this.nameIndex.get(name);
    if (n === undefined) {
      n = this.names.length;
      this.names.push(name);
      this.nameIndex.set(name, n);
    }
    this.ts.push(ts);
    this.dur.push(dur);
    this.ret.push(ret);
    this.thread.push(t);
    this.name.push(n);
  }

  /**
   * The syscalls table of the calls made entirely within [from, to), each host's shifted by `shift` ns,
   * less the dropped ones, through the same columns loadCapture builds.
   */
  table(from: number, to: number, shift: Map<string, number>, originNs: bigint, dropRate: number, rng: Rng): Table {
    const cols = new SyscallColumns();
    const originSec = Number(originNs / 1_000_000_000n);
    const hostId = this.threads.map((th) => cols.hosts.id(th.proc.host));
    const serviceId = this.threads.map((th) => cols.services.id(th.proc.service));
    const instanceId = this.threads.map((th) => cols.instances.id(th.proc.instance));
    const shiftOf = this.threads.map((th) => shift.get(th.proc.host) ?? 0);
    for (let i = 0; i < this.ts.length; i++) {
      const ts = this.ts[i];
      const dur = this.dur[i];
      if (ts < from || ts + (Number.isNaN(dur) ? 0 : dur) >= to) continue;
      if (dropRate > 0 && rng.chance(dropRate)) continue;
      const t = this.thread[i];
      const th = this.threads[t];
      const at = ts + shiftOf[t];
      const sec = Math.floor(at / 1e9);
      cols.add({ sec: originSec + sec, nsec: at - sec * 1e9 }, hostId[t], th.proc.pid, th.tid, th.comm, this.names[this.name[i]],
        Number.isNaN(this.ret[i]) ? null : this.ret[i], Number.isNaN(dur) ? null : dur, serviceId[t], instanceId[t]);
    }
    return cols.toTable(originSec).table;
  }
}
