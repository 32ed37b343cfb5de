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

/** Per trace: the services with spans and the threads that served them (service:comm). */
function touched(c: SimCapture): { services: string[]; threadsPerTrace: number; threads: string[] } {
  const threads = new Map<string, string>(c.procs.flatMap((p) => p.threads.map((t) => [`${p.host}/${t.tid}`, `${p.service}:${t.comm}`] as [string, string])));
  const perTrace = new Map<string, Set<string>>();
  const services = new Set<string>();
  const kinds = new Set<string>();
  for (const t of c.truth.objects() as { trace_id: string; host: string; tid: number }[]) {
    const key = `${t.host}/${t.tid}`;
    perTrace.set(t.trace_id, (perTrace.get(t.trace_id) ?? new Set()).add(key));
    kinds.add(threads.get(key) as string);
  }
  for (const s of c.spans.array('service') as Iterable<string>) services.add(s);
  const counts = [...perTrace.values()].map((s) => s.size);
  return { services: [...services].sort(), threadsPerTrace: counts.reduce((a, b) => a + b, 0) / Math.max(1, counts.length), threads: [...kinds].sort() };
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
  const lines = ['# Simulated Sock Shop captures', '', 'Written by `npm run data:sockshop` (scripts/data-sockshop.ts) with lib/sim; the same bytes on every run.', '', '| capture | mode | syscalls | traces | size |', '|---|---|---|---|---|'];
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
      report.push(`${opts.traceType}: services ${t.services.join(', ')}; ${t.threadsPerTrace.toFixed(1)} threads per trace: ${t.threads.join(', ')}`);
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
