/**
 * The real capture harness (experiments/capture/): the load generator's two regimes against a local
 * server, truth rows from the services' span tags, the eBPF filter, and, where root, Java, redis and
 * bpftrace or strace are present, a short real recording of the shop loaded back with every truth
 * thread found in the syscalls inside its own span. Elsewhere that part is skipped with the reason.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { appendFileSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, get, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadCapture } from '../../lib/capture/index';
import { truthRows } from '../../experiments/capture/assemble';
import { PHASES, captureShop, prerequisites, shortOptions } from '../../experiments/capture/harness';
import { TASKS, runIsolated, runLive } from '../../experiments/capture/load';
import { Processes } from '../../experiments/capture/processes';
import { bpftraceScript, countLostEvents } from '../../experiments/capture/recorder';

const ROOT = resolve(__dirname, '..', '..');

/** A server on every port of `replicas` that answers after `delayMs` and records concurrency. */
async function countingServer(delayMs: number) {
  let inFlight = 0;
  const seen = { max: 0, paths: [] as string[], ports: new Set<number>() };
  const server = createServer((req, res) => {
    inFlight++;
    seen.max = Math.max(seen.max, inFlight);
    seen.paths.push(`${req.method} ${req.url}`);
    seen.ports.add(req.socket.localPort!);
    setTimeout(() => {
      inFlight--;
      res.end('ok');
    }, delayMs);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  const services = new Set(TASKS.flatMap((t) => t.targets));
  const replicas = new Map([...services].map((s) => [s, [port]]));
  return { seen, replicas, close: () => new Promise((r) => server.close(r)) };
}

test('the isolated load sends perType of each trace type, one at a time', async () => {
  const s = await countingServer(5);
  try {
    const stats = await runIsolated(s.replicas, { perType: 3, seed: 4, gapMs: [0, 1] });
    assert.equal(stats.requests, 3 * TASKS.length);
    assert.equal(stats.errors, 0);
    for (const t of TASKS) assert.equal(stats.byType[t.traceType], 3, t.traceType);
    assert.equal(s.seen.max, 1, 'isolated requests overlapped');
    // Health checks go to the services' own /health, the rest to the front-end's endpoints.
    assert.equal(s.seen.paths.filter((p) => p === 'GET /health').length, 3);
  } finally {
    await s.close();
  }
});

test('the live load keeps `concurrency` requests in flight and stops at `requests`', async () => {
  const s = await countingServer(20);
  try {
    const stats = await runLive(s.replicas, { concurrency: 2, requests: 10, seed: 4 });
    assert.equal(stats.requests, 10);
    assert.equal(s.seen.paths.length, 10);
    assert.equal(s.seen.max, 2);
    // The mix is drawn up front from the seed: the same on every run whatever the timing, and
    // another seed gives another mix.
    const again = await runLive(s.replicas, { concurrency: 3, requests: 10, seed: 4 });
    assert.deepEqual(again.byType, stats.byType);
    const mixes = await Promise.all([5, 6, 7].map((seed) => runLive(s.replicas, { concurrency: 2, requests: 10, seed })));
    assert.ok(mixes.some((m) => JSON.stringify(m.byType) !== JSON.stringify(stats.byType)));
  } finally {
    await s.close();
  }
});

test('a request without a complete response in timeoutMs is a timeout and an error, and the run goes on', async () => {
  // Health probes hang (never answered); the front-end's endpoints answer at once.
  const server = createServer((req, res) => {
    if (req.url !== '/health') res.end('ok');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  const replicas = new Map([...new Set(TASKS.flatMap((t) => t.targets))].map((s) => [s, [port]]));
  try {
    const started = Date.now();
    const stats = await runIsolated(replicas, { perType: 2, seed: 4, gapMs: [0, 1], timeoutMs: 150 });
    assert.equal(stats.requests, 2 * TASKS.length);
    assert.equal(stats.timeouts, 2, 'the two health probes');
    assert.equal(stats.errors, 2);
    assert.match(stats.firstErrors[0], /GET \/health on .*: no complete response after 150 ms/);
    // Two timeouts of 150 ms, not a hang: well under the test's own limits.
    assert.ok(Date.now() - started < 5000);
  } finally {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  }
});

test('stopping a process that vanishes before the SIGKILL fallback does not throw', async () => {
  const procs = new Processes();
  const dir = mkdtempSync(join(tmpdir(), 'procs-'));
  const kill = process.kill;
  try {
    const p = await procs.start('sleeper', 'sleep', ['0.4'], { log: join(dir, 'log') });
    // SIGTERM is lost, and SIGKILL finds the process gone (ESRCH): the race of a process exiting
    // between the grace period's check and the kill. Unguarded, the timer's throw is uncaught.
    process.kill = ((pid: number, signal?: string | number) => {
      if (pid !== p.pid) return kill(pid, signal);
      if (signal === 'SIGKILL') throw Object.assign(new Error(`kill ESRCH`), { code: 'ESRCH' });
      return true;
    }) as typeof process.kill;
    await procs.stop(p, 'SIGTERM', 50);
    assert.deepEqual(procs.list(), []);
  } finally {
    process.kill = kill;
    rmSync(dir, { recursive: true, force: true });
  }
});

test('lost events are the sum of bpftrace\'s "Lost N events" lines, from the given byte on', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lost-'));
  try {
    const file = join(dir, 'out.bpftrace');
    writeFileSync(file, 'Attaching 3 probes...\n1 2 2 0 5 10 x\nLost 12 events\n');
    const first = statSync(file).size;
    // A record whose comm says "Lost 3 events" is not a report: the whole line must match.
    appendFileSync(file, '1 2 2 0 5 10 Lost 3 events\n\nLost 30 events\nLost 1 events\n');
    assert.equal(await countLostEvents(file), 43);
    assert.equal(await countLostEvents(file, first), 31);
    assert.equal(await countLostEvents(join(dir, 'absent')), 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the front-end refuses to start when the SDK span lacks _performanceStartTime, and starts when it has it', { timeout: 30_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'front-end-'));
  // A free port for the healthy start.
  const probe: Server = createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  const port = (probe.address() as { port: number }).port;
  await new Promise((r) => probe.close(r));
  const env = { ...process.env, SHOP_SERVICE: 'front-end', SHOP_INSTANCE: 'front-end-0', SHOP_HOST: 'h', SHOP_PORT: String(port), SHOP_SEED: '1', SHOP_PEERS: '{}', SHOP_MONO_TO_REAL_NS: '0' };
  const script = join(ROOT, 'experiments', 'capture', 'services', 'front-end.cjs');
  try {
    // A preload that makes every span come without the field, as an SDK that renamed it would.
    const preload = join(dir, 'no-field.cjs');
    writeFileSync(preload, [
      `const base = require(${JSON.stringify(require.resolve('@opentelemetry/sdk-trace-base', { paths: [ROOT] }))});`,
      'const getTracer = base.BasicTracerProvider.prototype.getTracer;',
      'base.BasicTracerProvider.prototype.getTracer = function (...args) {',
      '  const tracer = getTracer.apply(this, args);',
      '  const startSpan = tracer.startSpan;',
      '  tracer.startSpan = function (...a) { const span = startSpan.apply(this, a); delete span._performanceStartTime; return span; };',
      '  return tracer;',
      '};',
    ].join('\n'));
    const failed = await new Promise<{ code: number | string | null | undefined; stderr: string }>((done) => {
      execFile(process.execPath, ['-r', preload, script], { env, timeout: 20_000 }, (e, _out, stderr) => done({ code: e?.code, stderr }));
    });
    assert.equal(failed.code, 1, 'front-end did not exit with status 1');
    assert.match(failed.stderr, /_performanceStartTime/);
    assert.match(failed.stderr, /sdk-trace-base 2\.12\.1/);
    // Without the preload it gets past the check and answers.
    const child = spawn(process.execPath, [script], { env, stdio: 'ignore' });
    try {
      const until = Date.now() + 20_000;
      let status: number | undefined;
      while (status === undefined && Date.now() < until && child.exitCode === null) {
        status = await new Promise<number | undefined>((r) => get({ host: '127.0.0.1', port, path: '/__spans' }, (res) => (res.resume(), r(res.statusCode))).on('error', () => setTimeout(() => r(undefined), 100)));
      }
      assert.equal(status, 200, `front-end exited with ${child.exitCode} or never listened`);
    } finally {
      child.kill();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('truth rows come from process.pid and thread.id; a span without thread.id is refused', () => {
  const attr = (key: string, v: string | number) => ({ key, value: { intValue: v } });
  const doc = {
    resourceSpans: [{
      resource: { attributes: [{ key: 'service.name', value: { stringValue: 'user' } }, attr('process.pid', '41')] },
      scopeSpans: [{ spans: [{ traceId: 't1', spanId: 's1', attributes: [attr('thread.id', '43')] }, { traceId: 't1', spanId: 's2', attributes: [attr('thread.id', 44)] }] }],
    }],
  };
  assert.deepEqual(truthRows([doc], 'h'), [
    { trace_id: 't1', span_id: 's1', host: 'h', pid: 41, tid: 43 },
    { trace_id: 't1', span_id: 's2', host: 'h', pid: 41, tid: 44 },
  ]);
  doc.resourceSpans[0].scopeSpans[0].spans[1].attributes = [];
  assert.throws(() => truthRows([doc], 'h'), /t1\/s2: no process.pid or thread.id/);
});

test('the eBPF script keeps the listed processes only', () => {
  const script = bpftraceScript([12, 345]);
  assert.match(script, /sys_enter \/pid == 12 \|\| pid == 345\//);
  // Exits are keyed by thread: only threads whose entry passed the filter print.
  assert.match(script, /sys_exit \/@start\[tid\]\//);
});

test('without the tools on PATH, the prerequisites say what to install', () => {
  const path = process.env.PATH;
  process.env.PATH = '';
  try {
    const { tracer, missing } = prerequisites('auto');
    assert.equal(tracer, null);
    for (const expected of [/java not found: apt-get install openjdk-17-jdk-headless/, /redis-server not found: apt-get install redis-server/, /neither bpftrace nor strace/]) {
      assert.ok(missing.some((m) => expected.test(m)), `no message matching ${expected} in ${missing.join('; ')}`);
    }
    assert.ok(prerequisites('strace').missing.some((m) => m === 'strace not found: apt-get install strace'));
  } finally {
    process.env.PATH = path;
  }
});

const pre = prerequisites('auto');
const skip = pre.tracer === null ? `cannot record here: ${pre.missing.join('; ')}` : false;
if (skip) console.log(`# capture.test.ts: real recording skipped: ${skip}`);

test('a short real recording of the shop loads, and every span has its thread\'s syscalls inside it', { skip, timeout: 120_000 }, async () => {
  const out = mkdtempSync(join(tmpdir(), 'shop-capture-'));
  try {
    const phases = await captureShop(shortOptions(out));
    assert.deepEqual(phases.map((p) => p.mode), PHASES);
    for (const phase of phases) {
      const c = await loadCapture(phase.dir);
      assert.equal(c.manifest.source, 'real');
      assert.equal(c.manifest.mode, phase.mode);
      // The tracer's lost events are counted per phase and kept in the manifest (0 unless it overflowed).
      assert.ok(Number.isInteger(phase.lostEvents) && phase.lostEvents >= 0);
      assert.equal(c.manifest.generator.params?.lostEvents, phase.lostEvents);
      assert.ok(c.syscalls.numRows() > 0, `${phase.mode}: no syscalls`);
      // Every call is of a listed process: the eBPF filter or strace -p kept the shop only.
      assert.equal(c.problems.total('pid not in processes.csv'), 0, c.problems.summary().join('\n'));
      if (phase.mode === 'idle') {
        assert.equal(c.spans.numRows(), 0);
        continue;
      }
      assert.equal(phase.load?.errors, 0, phase.load?.firstErrors.join('; '));
      assert.ok(c.truth, `${phase.mode}: no truth.csv`);
      assert.equal(c.truth.numRows(), c.spans.numRows(), 'one truth row per span');
      // The front-end's spans are served by its event loop thread, whose tid is the pid.
      const spans = new Map((c.spans.objects() as { trace_id: string; span_id: string; service: string; start_ns: number; end_ns: number }[]).map((s) => [`${s.trace_id}/${s.span_id}`, s]));
      const calls = new Map<string, number[]>();
      const [pid, tid, ts] = ['pid', 'tid', 'ts_ns'].map((k) => c.syscalls.array(k) as ArrayLike<number>);
      for (let i = 0; i < ts.length; i++) {
        const key = `${pid[i]}/${tid[i]}`;
        (calls.get(key) ?? calls.set(key, []).get(key)!).push(ts[i]);
      }
      const without: string[] = [];
      for (const t of c.truth.objects() as { trace_id: string; span_id: string; pid: number; tid: number }[]) {
        const s = spans.get(`${t.trace_id}/${t.span_id}`);
        assert.ok(s, `truth row ${t.trace_id}/${t.span_id} has no span`);
        if (s.service === 'front-end') assert.equal(t.tid, t.pid);
        const inside = (calls.get(`${t.pid}/${t.tid}`) ?? []).filter((x) => x >= s.start_ns && x <= s.end_ns);
        if (inside.length === 0) without.push(`${s.service} ${t.trace_id}/${t.span_id} thread ${t.tid}`);
      }
      assert.deepEqual(without, [], `${phase.mode}: spans whose thread made no syscall inside them`);
      // Each trace type the load sent is in the spans, under its root's name.
      const types = new Set(c.spans.array('trace_type') as string[]);
      for (const type of Object.keys(phase.load!.byType)) assert.ok(types.has(type), `${phase.mode}: no ${type} trace`);
    }
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
