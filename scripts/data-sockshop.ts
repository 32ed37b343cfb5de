/**
 * `npm run data:sockshop`: writes the bundled simulated Sock Shop captures to data/sockshop/ (one
 * idle, one isolated per trace type the paper evaluates plus POST /orders, one live at concurrency
 * 2), byte for byte the same on every run. Prints each capture's size, the syscalls simulated per
 * second, and per trace type the services and threads a trace touches.
 *
 * Options (for larger captures elsewhere): --out DIR, --seed N, --idle-s S, --live-s S,
 * --instances N; --bench S simulates S seconds of live load at concurrency 2 without writing.
 */
import { readdir, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PAPER_TRACE_TYPES, simulate, slug, writeSimulatedCapture, type SimCapture, type SimOptions } from '../lib/sim';

const args = new Map<string, string>();
for (let i = 2; i < process.argv.length; i += 2) args.set(process.argv[i].replace(/^--/, ''), process.argv[i + 1]);
const num = (key: string, dflt: number) => (args.has(key) ? Number(args.get(key)) : dflt);

const out = args.get('out') ?? 'data/sockshop';
const seed = num('seed', 1);

/** The bundled captures: small, so notebooks and the main job run without generating anything. */
function captures(): { dir: string; opts: SimOptions }[] {
  const isolated = PAPER_TRACE_TYPES.map((traceType) => ({
    dir: `sockshop-sim-isolated-${slug(traceType)}`,
    // strace files (one per process) for the profiling runs; GET /health's traces as OTLP
    opts: { mode: 'isolated', traceType, instances: num('instances', 15), seed, syscallFormat: 'strace', traceFormat: traceType === 'GET /health' ? 'otlp' : 'jaeger' } as SimOptions,
  }));
  return [
    { dir: 'sockshop-sim-idle', opts: { mode: 'idle', durationS: num('idle-s', 10), seed, syscallFormat: 'bpftrace' } },
    ...isolated,
    { dir: 'sockshop-sim-live-c2', opts: { mode: 'live', concurrency: 2, durationS: num('live-s', 1), seed, syscallFormat: 'bpftrace' } },
  ];
}

async function size(dir: string): Promise<number> {
  let total = 0;
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    total += e.isDirectory() ? await size(p) : (await stat(p)).size;
  }
  return total;
}

const mb = (bytes: number) => `${(bytes / 1e6).toFixed(2)} MB`;

/**
 * Per trace: the services with spans; the threads that served its spans (truth); and the threads
 * whose syscalls were made for it, helpers included (libuv, GC, pollers, redis, brokers): those
 * with a syscall inside one of the trace's spans in a process of the trace (isolated captures
 * have one trace at a time, so the idle calls there are counted too).
 */
function touched(c: SimCapture): { services: string[]; served: number; working: number; threads: string[] } {
  const threads = new Map<string, string>(c.procs.flatMap((p) => p.threads.map((t) => [`${p.host}/${t.tid}`, `${p.service}:${t.comm}`] as [string, string])));
  const served = new Map<string, Set<string>>();
  const kinds = new Set<string>();
  for (const t of c.truth.objects() as { trace_id: string; host: string; tid: number }[]) {
    const key = `${t.host}/${t.tid}`;
    served.set(t.trace_id, (served.get(t.trace_id) ?? new Set()).add(key));
    kinds.add(threads.get(key) as string);
  }
  const byProc = new Map<string, { ts: number; key: string }[]>();
  const [ts, host, pid, tid] = ['ts_ns', 'host', 'pid', 'tid'].map((k) => c.syscalls.getter(k));
  for (let r = 0; r < c.syscalls.numRows(); r++) {
    const k = `${host(r)}/${pid(r)}`;
    byProc.set(k, [...(byProc.get(k) ?? []), { ts: ts(r), key: `${host(r)}/${tid(r)}` }]);
  }
  const working = new Map<string, Set<string>>();
  for (const s of c.spans.objects() as { trace_id: string; host: string; pid: number; start_ns: number; end_ns: number }[]) {
    const set = working.get(s.trace_id) ?? new Set<string>();
    for (const x of byProc.get(`${s.host}/${s.pid}`) ?? []) if (x.ts >= s.start_ns && x.ts <= s.end_ns) set.add(x.key);
    working.set(s.trace_id, set);
  }
  const mean = (m: Map<string, Set<string>>) => [...m.values()].reduce((a, x) => a + x.size, 0) / Math.max(1, m.size);
  const services = [...new Set(c.spans.array('service') as Iterable<string>)].sort();
  return { services, served: mean(served), working: mean(working), threads: [...kinds].sort() };
}

async function main(): Promise<void> {
  if (args.has('bench')) {
    const c = simulate({ mode: 'live', concurrency: 2, durationS: num('bench', 60), seed });
    const perS = c.stats.simulatedSyscalls / (c.stats.wallMs / 1000);
    console.log(`live c2, ${c.stats.simulatedS.toFixed(1)} s simulated: ${c.stats.simulatedSyscalls} syscalls, ${c.stats.traces} traces in ${(c.stats.wallMs / 1000).toFixed(1)} s: ${Math.round(perS)} syscalls/s`);
    return;
  }
  await rm(out, { recursive: true, force: true });
  let calls = 0;
  let wall = 0;
  let bytes = 0;
  const lines = ['# Simulated Sock Shop captures', '', 'Written by `npm run data:sockshop` (scripts/data-sockshop.ts) with lib/sim; the same bytes on every run.', '', 'Defaults of lib/sim (see lib/sim/README.md): stock Sock Shop spans (`storageSpans: \'none\'`: the front-end root span plus the application services\' spans, no database spans; `\'data\'` is a knob), per-host clock skew ±30 µs on spans and syscalls alike, noise 1.', '', '| capture | mode | syscalls | traces | size |', '|---|---|---|---|---|'];
  const report: string[] = [];
  for (const { dir, opts } of captures()) {
    const c = await writeSimulatedCapture(join(out, dir), opts);
    const s = await size(join(out, dir));
    calls += c.stats.simulatedSyscalls;
    wall += c.stats.wallMs;
    bytes += s;
    lines.push(`| ${dir} | ${opts.mode} | ${c.stats.syscalls} | ${c.stats.traces} | ${mb(s)} |`);
    console.log(`${dir.padEnd(44)} ${String(c.stats.syscalls).padStart(7)} syscalls ${String(c.stats.traces).padStart(5)} traces ${mb(s).padStart(9)}  ${(c.stats.wallMs / 1000).toFixed(2)} s`);
    if (opts.mode === 'isolated') {
      const t = touched(c);
      report.push(`${opts.traceType}: services ${t.services.join(', ')}; per trace ${t.served.toFixed(1)} threads serving spans (${t.threads.join(', ')}), ${t.working.toFixed(1)} threads of its processes with syscalls inside its spans (helpers such as libuv, pollers and GC, and idle routines, included)`);
    }
  }
  await writeFile(join(out, 'README.md'), `${lines.join('\n')}\n`);
  console.log(`total ${mb(bytes)}; ${calls} syscalls simulated in ${(wall / 1000).toFixed(2)} s: ${Math.round(calls / (wall / 1000))} syscalls/s`);
  console.log(report.join('\n'));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
