/**
 * The real capture harness (experiments/capture/): the load generator's two regimes against a local
 * server, truth rows from the services' span tags, the eBPF filter, and, where root, Java, redis and
 * bpftrace or strace are present, a short real recording of the shop loaded back with every truth
 * thread found in the syscalls inside its own span. Elsewhere that part is skipped with the reason.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadCapture } from '../../lib/capture/index';
import { truthRows } from '../../experiments/capture/assemble';
import { PHASES, captureShop, prerequisites, shortOptions } from '../../experiments/capture/harness';
import { TASKS, runIsolated, runLive } from '../../experiments/capture/load';
import { bpftraceScript } from '../../experiments/capture/recorder';

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
