import { test } from 'node:test';
import assert from 'node:assert/strict';
import { simulate, type SimCapture } from '../../lib/sim';

type Thread = SimCapture['procs'][number]['threads'][number];

const roles = (threads: readonly Thread[], role: string) => threads.filter((t) => t.role === role);

const live = simulate({ mode: 'live', durationS: 3, seed: 31, hostCpus: 6 });

test('thread models: Node, Tomcat, Go, databases', () => {
  for (const p of live.procs) {
    const th = p.threads;
    const tids = new Set(th.map((t) => t.tid));
    assert.equal(tids.size, th.length, `${p.instance}: thread ids are unique`);
    assert.ok(th.some((t) => t.tid === p.pid), `${p.instance}: its main thread has the pid as tid`);
    if (p.runtime === 'node') {
      assert.equal(roles(th, 'event loop').length, 1);
      assert.equal(roles(th, 'event loop')[0].tid, p.pid);
      assert.equal(roles(th, 'libuv').length, 4);
      assert.ok(th.every((t) => t.comm === 'node'));
    }
    if (p.runtime === 'java') {
      const exec = roles(th, 'exec');
      assert.equal(exec.length, 10, 'Tomcat min spare threads');
      assert.ok(exec.every((t) => t.comm === 'http-nio-80-exe'));
      assert.equal(roles(th, 'acceptor').length, 1);
      assert.equal(roles(th, 'poller').length, 1);
      assert.equal(roles(th, 'gc').length, 6);
    }
    if (p.runtime === 'go') {
      assert.equal(roles(th, 'M').length, 6, 'GOMAXPROCS = host CPUs');
      assert.equal(roles(th, 'sysmon').length, 1);
      assert.equal(th.length, 7);
    }
    if (p.runtime === 'rabbitmq') assert.equal(roles(th, 'scheduler').length, 6);
  }
});

/** The tids of `service` that made syscalls in the capture. */
function activeTids(c: SimCapture, service: string): Map<number, Set<number>> {
  const out = new Map<number, Set<number>>();
  const [svc, pid, tid] = ['service', 'pid', 'tid'].map((k) => c.syscalls.getter(k));
  for (let r = 0; r < c.syscalls.numRows(); r++) {
    if (svc(r) !== service) continue;
    let s = out.get(pid(r));
    if (s === undefined) out.set(pid(r), (s = new Set()));
    s.add(tid(r));
  }
  return out;
}

test('redis is single-threaded; Go processes use at most GOMAXPROCS + sysmon threads', () => {
  const redis = activeTids(live, 'session-db');
  assert.equal(redis.size, 2);
  for (const [pid, tids] of redis) assert.deepEqual([...tids], [pid]);
  for (const svc of ['catalogue', 'user', 'payment']) {
    for (const tids of activeTids(live, svc).values()) assert.ok(tids.size <= 7, `${svc}: ${tids.size} threads`);
  }
  const user = [...activeTids(live, 'user').values()];
  assert.ok(user.some((tids) => tids.size > 2), 'goroutines of a busy Go service run on several Ms');
});

function servedBy(c: SimCapture): { span: Record<string, unknown>; thread: Thread }[] {
  const threads = new Map<string, Thread>(c.procs.flatMap((p) => p.threads.map((t) => [`${p.host}/${t.tid}`, t] as [string, Thread])));
  const truth = new Map((c.truth.objects() as Record<string, unknown>[]).map((t) => [t.span_id as string, `${t.host}/${t.tid}`]));
  return (c.spans.objects() as Record<string, unknown>[]).map((span) => ({ span, thread: threads.get(truth.get(span.span_id as string) as string) as Thread }));
}

test('spans are served by the threads their runtime hands requests to', () => {
  for (const { span, thread } of servedBy(live)) {
    const where = `${span.service} ${span.operation} on ${thread.comm} (${thread.role})`;
    if (span.service === 'front-end') assert.equal(thread.role, 'event loop', where);
    else if (span.kind === 'consumer') assert.equal(thread.role, 'listener', where);
    else if (span.service === 'orders' && span.kind === 'client') assert.equal(thread.role, 'async', where);
    else if (['carts', 'orders', 'shipping'].includes(span.service as string)) assert.equal(thread.role, 'exec', where);
    else if (['catalogue', 'user', 'payment'].includes(span.service as string)) assert.equal(thread.role, 'M', where);
    else if (['user-db', 'carts-db', 'orders-db', 'catalogue-db'].includes(span.service as string)) assert.equal(thread.role, 'connection', where);
  }
});

test('one exec thread serves many requests over time, and requests rotate over the pool', () => {
  const perThread = new Map<Thread, number>();
  for (const { span, thread } of servedBy(live)) {
    if (span.service === 'carts' && span.kind === 'server') perThread.set(thread, (perThread.get(thread) ?? 0) + 1);
  }
  assert.ok(perThread.size >= 4, `carts requests on ${perThread.size} exec threads`);
  assert.ok([...perThread.values()].some((n) => n >= 3));
});

test("orders runs each @Async call on a new thread: six per checkout, each exits", () => {
  const n = 3;
  const c = simulate({ mode: 'isolated', traceType: 'POST /orders', instances: n, seed: 32 });
  const rows = c.syscalls.objects() as { service: string; tid: number; pid: number; syscall: string; ret: number; comm: string }[];
  const clones = rows.filter((r) => r.service === 'orders' && r.syscall === 'clone');
  assert.equal(clones.length, 6 * n);
  assert.ok(clones.every((r) => r.comm === 'http-nio-80-exe'));
  const children = new Set(clones.map((r) => r.ret));
  assert.equal(children.size, 6 * n, 'a new thread id each time');
  for (const tid of children) {
    const own = rows.filter((r) => r.tid === tid && r.service === 'orders');
    assert.equal(own[0].syscall, 'set_robust_list');
    assert.equal(own[own.length - 1].syscall, 'exit');
    assert.ok(own.every((r) => r.comm === 'SimpleAsyncTask'));
  }
});

test('idle threads make their periodic calls', () => {
  const idle = simulate({ mode: 'idle', durationS: 3, seed: 33 });
  const rows = idle.syscalls.objects() as { service: string; comm: string; syscall: string; ret: number; ts_ns: number; tid: number; dur_ns: number }[];
  const count = (pred: (r: (typeof rows)[number]) => boolean) => rows.filter(pred).length;
  // redis serverCron at 10 Hz on 2 replicas: ~60 epoll_wait timeouts in 3 s
  const cron = count((r) => r.service === 'session-db' && r.syscall === 'epoll_wait' && r.ret === 0);
  assert.ok(cron >= 50 && cron <= 62, `redis cron ${cron}`);
  // Tomcat's poller (1 s timeout, woken early by probes) and the JVM's 50 ms periodic task, on 8 Java processes
  const pollerTimeouts = rows.filter((r) => r.comm === 'http-nio-80-Cli' && r.syscall === 'epoll_wait' && r.ret === 0);
  assert.ok(pollerTimeouts.length >= 8, `poller timeouts ${pollerTimeouts.length}`);
  assert.ok(pollerTimeouts.every((r) => r.dur_ns === 1e9));
  const periodicTask = count((r) => r.comm === 'java' && r.syscall === 'futex' && r.ret === -110);
  assert.ok(periodicTask >= 8 * 55, `JVM futex timeouts ${periodicTask}`);
  // probes every 3 s: accept on every probed process (6 Go, 8 Tomcat)
  const accepts = count((r) => r.syscall === 'accept4' && r.ret > 0) + count((r) => r.syscall === 'accept' && r.ret > 0);
  assert.ok(accepts >= 14 && accepts <= 14 * 2 * 2, `probe accepts ${accepts}`);
  assert.equal(idle.spans.numRows(), 0);
});
