/**
 * npm run capture:real — records the real shop (experiments/capture/) into capture folders:
 *
 *   npm run capture:real                        # data/real/{idle,isolated,live}, a few minutes, as root
 *   npm run capture:real -- --out DIR --short   # seconds of recording (what the test runs)
 *
 * Options: --tracer auto|bpftrace|strace, --replicas N, --seed N, --idle-s S, --per-type N,
 * --live-requests N, --concurrency N, --warmup N (requests of each type per warm-up round), --keep-work (keep the services' logs). Ctrl-C stops every
 * process the run started.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { captureShop, defaultOptions, prerequisites, shortOptions, stagingDir, type CaptureOptions } from './harness';
import { Processes } from './processes';

const ROOT = resolve(__dirname, '..', '..');

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      out: { type: 'string', default: resolve(ROOT, 'data', 'real') },
      short: { type: 'boolean', default: false },
      tracer: { type: 'string', default: 'auto' },
      replicas: { type: 'string' },
      seed: { type: 'string' },
      'idle-s': { type: 'string' },
      'per-type': { type: 'string' },
      'live-requests': { type: 'string' },
      concurrency: { type: 'string' },
      warmup: { type: 'string' },
      'keep-work': { type: 'boolean', default: false },
    },
  });
  const out = resolve(values.out!);
  const opts: CaptureOptions = values.short ? shortOptions(out) : defaultOptions(out);
  if (!['auto', 'bpftrace', 'strace'].includes(values.tracer!)) throw new Error(`--tracer: expected auto, bpftrace or strace, got ${values.tracer}`);
  opts.tracer = values.tracer as CaptureOptions['tracer'];
  const int = (name: string, v: string | undefined, fallback: number, min: number) => {
    if (v === undefined) return fallback;
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) throw new Error(`--${name}: expected an integer >= ${min}, got ${v}`);
    return n;
  };
  opts.replicas = int('replicas', values.replicas, opts.replicas, 1);
  opts.seed = int('seed', values.seed, opts.seed, 0);
  opts.idleS = int('idle-s', values['idle-s'], opts.idleS, 1);
  opts.perType = int('per-type', values['per-type'], opts.perType, 1);
  opts.liveRequests = int('live-requests', values['live-requests'], opts.liveRequests, 1);
  opts.concurrency = int('concurrency', values.concurrency, opts.concurrency, 1);
  opts.warmup = int('warmup', values.warmup, opts.warmup, 0);
  opts.keepWork = values['keep-work'];
  opts.log = (msg) => process.stderr.write(`capture: ${msg}\n`);

  const pre = prerequisites(opts.tracer);
  if (pre.tracer === null) {
    process.stderr.write(`capture: cannot record here:\n  ${pre.missing.join('\n  ')}\n`);
    process.exit(2);
  }
  const procs = new Processes();
  // The scratch folder is made here so that an interrupted run can remove it with the partial output.
  const work = mkdtempSync(join(tmpdir(), 'deepstitch-shop-'));
  opts.work = work;
  const removeScratch = () => {
    if (!opts.keepWork) rmSync(work, { recursive: true, force: true });
  };
  let stopping = false;
  // A terminal's Ctrl-C reaches this process twice (directly and relayed by tsx): the first one stops, the rest wait.
  const interrupted = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    process.stderr.write(`\ncapture: ${signal}: stopping ${procs.list().length} processes\n`);
    void procs.stopAll().then(() => {
      removeScratch();
      rmSync(stagingDir(out), { recursive: true, force: true });
      process.exit(130);
    });
  };
  process.on('SIGINT', interrupted);
  process.on('SIGTERM', interrupted);
  const started = Date.now();
  const phases = await captureShop(opts, procs).finally(removeScratch);
  const seconds = ((Date.now() - started) / 1000).toFixed(0);
  for (const p of phases) console.log(`${p.dir}: ${p.spans} spans, ${(p.bytes / 1e6).toFixed(2)} MB${p.load ? `, ${p.load.requests} requests (${p.load.errors} failed, ${p.load.timeouts} timed out) in ${p.load.seconds.toFixed(1)} s` : ''}${p.lostEvents > 0 ? `, ${p.lostEvents} syscall events LOST` : ''}`);
  const [idle, isolated, live] = phases.map((p) => p.dir);
  console.log(`done in ${seconds} s; run the method on it with:\n  npx tsx experiments/reproduce.ts --idle ${idle} --isolated ${isolated} --live ${live} --out results/real`);
}

main().catch((e: unknown) => {
  console.error(`capture: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
