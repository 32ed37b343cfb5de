/**
 * What the services do with no request: each runtime's periodic routines, on the thread that
 * really runs them, at their periods with jitter (SOCKSHOP.md; "general knowledge" there marks
 * what must be checked against a real capture), and the kubelet's health probes. The first
 * period of each routine starts at a random phase.
 */
import { HEALTH, type CallNode } from './callgraph';
import { call, cpu, sleep, sys, wait, type Channel, type Routine } from './engine';
import type { Rng } from './rng';
import { durNs, fd, maybe, replies, sc, toClient, toServer, work } from './templates';
import { externalRequest } from './requests';
import { UNTRACED, type Conn, type Proc, type Reply, type World } from './world';

/** A call every `period` ns (±`jitter`) that blocks for the period: futex timeouts, nanosleep, epoll_wait. */
export function* periodic(p: Proc, period: number, name: string, ret: number, jitter = 0.02): Routine {
  yield sleep(Math.round(p.rng.uniform(0, period)), name, ret);
  for (;;) yield sleep(p.rng.jitter(period, jitter), name, ret);
}

// ---------------------------------------------------------------- Java

/**
 * The VM thread: a futex wait of GuaranteedSafepointInterval (1 s); a young collection wakes the
 * GC workers, waits for them and resumes the stopped threads.
 */
export function* vmThread(p: Proc, requests: Channel<number>, workers: Channel<number>[]): Routine {
  yield sleep(Math.round(p.rng.uniform(0, 1e9)), 'futex', -110);
  for (;;) {
    const pause = (yield wait(requests, 'futex', 0, p.rng.jitter(1e9, 0.01), -110)) as number | null;
    if (pause === null) continue;
    for (const w of workers) {
      yield sc(p, 'futex', 1);
      yield call(() => w.put(pause));
    }
    yield sleep(pause, 'futex', 0);
    yield sc(p, 'futex', 1);
  }
}

/** A parallel GC worker: idle in futex; in a pause it works, then spins (sched_yield) to terminate. */
export function* gcWorker(p: Proc, work: Channel<number>): Routine {
  for (;;) {
    const pause = (yield wait(work, 'futex', 0)) as number;
    yield cpu(Math.round(pause * p.rng.uniform(0.6, 0.85)));
    const spins = p.rng.int(0, 3);
    for (let i = 0; i < spins; i++) yield sc(p, 'sched_yield', 0);
    if (maybe(p, 0.3)) yield sc(p, 'futex', 1);
  }
}

/** The MongoDB Java driver's cluster monitor: an isMaster on its own connection every 10 s. */
export function* mongoMonitor(p: Proc, conn: Conn): Routine {
  yield sleep(Math.round(p.rng.uniform(0, 10e9)), 'futex', -110);
  for (;;) {
    yield sc(p, 'sendto', 213);
    yield toServer(p, conn, { kind: 'req', node: monitorPing(conn.server.service), ctx: UNTRACED, bytes: 213, close: false });
    const r = (yield wait(replies(conn), 'recvfrom', 16)) as Reply;
    yield sc(p, 'recvfrom', r.bytes);
    yield sleep(p.rng.jitter(10e9, 0.01), 'futex', -110);
  }
}

/** The drivers' monitoring command: never traced. */
const monitorPing = (service: string): CallNode => ({ service, proto: 'mongo', method: '', route: 'isMaster', req: 213, resp: 270, traced: false, fixed: true });

/** The AMQP client's heartbeat sender: 8 bytes every 30 s (60 s heartbeat negotiated). */
export function* amqpHeartbeat(p: Proc, conn: Conn): Routine {
  yield sleep(Math.round(p.rng.uniform(0, 30e9)), 'futex', -110);
  for (;;) {
    yield sc(p, 'sendto', 8);
    yield toServer(p, conn, { kind: 'reply', bytes: 8 });
    yield sleep(p.rng.jitter(30e9, 0.01), 'futex', -110);
  }
}

// ---------------------------------------------------------------- Go

/**
 * Go's sysmon: while goroutines run it sleeps 20 µs (plus the 50 µs timer slack), doubling after
 * 50 idle rounds up to 10 ms; when every P is idle it sleeps in futex until work comes back.
 */
export function* sysmon(p: Proc, wake: Channel<number>): Routine {
  const s = p.sched as NonNullable<Proc['sched']>;
  let delay = 20_000;
  let idle = 0;
  for (;;) {
    const busy = (yield call(() => s.running > 0 || s.runq.length > 0)) as boolean;
    if (!busy) {
      yield wait(wake, 'futex', 0, 60e9, -110);
      delay = 20_000;
      idle = 0;
      continue;
    }
    yield sleep(delay + Math.round(p.rng.lognormal(55_000, 0.15)), 'nanosleep', 0);
    if (++idle > 50) delay = Math.min(delay * 2, 10_000_000);
  }
}

/** mgo's pinger: a ping on its own socket every 15 s (a fiber on the Go scheduler). */
export function* mgoPinger(p: Proc, conn: Conn): Routine {
  yield sleep(Math.round(p.rng.uniform(0, 15e9)), '', 0);
  for (;;) {
    yield sc(p, 'write', 58);
    yield toServer(p, conn, { kind: 'req', node: monitorPing(conn.server.service), ctx: UNTRACED, bytes: 58, close: false });
    yield sc(p, 'read', -11);
    const r = (yield wait(replies(conn), 'read', 0)) as Reply;
    yield sc(p, 'read', 16);
    yield sc(p, 'read', r.bytes);
    yield sleep(p.rng.jitter(15e9, 0.01), '', 0);
  }
}

// ---------------------------------------------------------------- span reporters (general knowledge)

/** Takes the spans waiting to be reported. */
const takeUnreported = (p: Proc) => call(() => {
  const n = p.unreported;
  p.unreported = 0;
  return n;
});

/** zipkin-go-opentracing's HTTP collector: a 1 s batch ticker; a POST when spans wait. */
export function* goReporter(p: Proc): Routine {
  yield sleep(Math.round(p.rng.uniform(0, 1e9)), '', 0);
  for (;;) {
    const n = (yield takeUnreported(p)) as number;
    if (n > 0) {
      yield sc(p, 'write', 240 + 330 * n);
      yield sc(p, 'read', -11);
      yield sleep(Math.round(p.rng.lognormal(900e3, 0.4)), '', 0);
      yield sc(p, 'read', 151);
    }
    yield sleep(p.rng.jitter(1e9, 0.002), '', 0);
  }
}

/** zipkin's AsyncReporter thread (Sleuth): wakes every second, POSTs the spans that wait. */
export function* javaReporter(p: Proc): Routine {
  yield sleep(Math.round(p.rng.uniform(0, 1e9)), 'futex', -110);
  for (;;) {
    const n = (yield takeUnreported(p)) as number;
    if (n > 0) {
      yield sc(p, 'sendto', 260 + 350 * n);
      yield sys('recvfrom', 151, Math.round(p.rng.lognormal(1.2e6, 0.4)));
    }
    yield sleep(p.rng.jitter(1e9, 0.002), 'futex', -110);
  }
}

/** The front-end's tracer (a jaeger-client): a 1 s flush timer on the event loop, UDP datagrams of ≤ 20 spans to the agent. */
export function* nodeReporter(p: Proc): Routine {
  yield sleep(Math.round(p.rng.uniform(0, 1e9)), '', 0);
  for (;;) {
    const n = (yield takeUnreported(p)) as number;
    for (let left = n; left > 0; left -= 20) yield sc(p, 'sendto', 180 + 260 * Math.min(left, 20));
    yield sleep(p.rng.jitter(1e9, 0.002), '', 0);
  }
}

// ---------------------------------------------------------------- Node.js

/** prom-client's default metrics every 10 s, read synchronously on the event loop (general knowledge). */
export function* nodeMetrics(p: Proc): Routine {
  yield sleep(Math.round(p.rng.uniform(0, 10e9)), '', 0);
  for (;;) {
    for (const bytes of [320, 1300, 1100]) {
      yield sc(p, 'open', fd(p));
      yield sc(p, 'read', bytes);
      yield sc(p, 'close', 0);
    }
    yield sc(p, 'openat', fd(p));
    yield sc(p, 'getdents64', 600);
    yield sc(p, 'getdents64', 0);
    yield sc(p, 'close', 0);
    yield sc(p, 'getrusage', 0);
    yield sleep(p.rng.jitter(10e9, 0.005), '', 0);
  }
}

// ---------------------------------------------------------------- redis

/** serverCron at hz 10 on the event loop: the RSS sample reads /proc/self/stat (general knowledge). */
export function* redisCron(p: Proc): Routine {
  yield sleep(Math.round(p.rng.uniform(0, 100e6)), '', 0);
  for (;;) {
    yield sc(p, 'open', 9);
    yield sc(p, 'read', 310);
    yield sc(p, 'close', 0);
    yield sleep(p.rng.jitter(100e6, 0.01), '', 0);
  }
}

// ---------------------------------------------------------------- mongod

/** Full-time diagnostic data capture: /proc samples every second. */
export function* ftdc(p: Proc): Routine {
  yield sleep(Math.round(p.rng.uniform(0, 1e9)), 'futex', -110);
  for (;;) {
    for (const bytes of [340, 2900, 1400, 4100, 2200]) {
      yield sc(p, 'open', fd(p));
      yield sc(p, 'read', bytes);
      yield sc(p, 'close', 0);
    }
    yield sleep(p.rng.jitter(1e9, 0.005), 'futex', -110);
  }
}

/** WiredTiger's journal flusher: every 100 ms, a sync of the journal when something was written. */
export function* journalFlusher(p: Proc): Routine {
  yield sleep(Math.round(p.rng.uniform(0, 100e6)), 'futex', -110);
  for (;;) {
    if (p.dirty) {
      p.dirty = false;
      yield sc(p, 'pwrite64', 512 * p.rng.int(1, 4));
      yield sys('fdatasync', 0, durNs(p.rng, 'fdatasync'));
    }
    yield sleep(p.rng.jitter(100e6, 0.01), 'futex', -110);
  }
}

// ---------------------------------------------------------------- RabbitMQ

/**
 * Erlang timers of the broker as fibers on its schedulers: stats emission (5 s), the memory
 * monitor (2.5 s), the disk monitor (10 s, `df` through the port program) and frequent internal
 * timeouts (general knowledge).
 */
export function* erlangTimers(p: Proc, period: number, disk: boolean): Routine {
  yield sleep(Math.round(p.rng.uniform(0, period)), '', 0);
  for (;;) {
    yield work(p, 60);
    if (disk) {
      yield sc(p, 'writev', 48);
      yield sc(p, 'read', 120);
      yield sc(p, 'read', 0);
    }
    yield sleep(period === 0 ? Math.round(p.rng.exp(250e6)) : p.rng.jitter(period, 0.01), '', 0);
  }
}

/** The broker's heartbeat to one client connection every 30 s. */
export function* brokerHeartbeat(p: Proc, conn: Conn): Routine {
  yield sleep(Math.round(p.rng.uniform(0, 30e9)), '', 0);
  for (;;) {
    yield sc(p, 'writev', 8);
    yield toClient(p, conn, { kind: 'reply', bytes: 8 });
    yield sleep(p.rng.jitter(30e9, 0.01), '', 0);
  }
}

// ---------------------------------------------------------------- the kubelet

/**
 * The kubelet's liveness and readiness probes: GET /health every 3 s on each probed process, a
 * new connection each time ("Connection: close"). `traced(p)` says whether a probe of `p` starts a
 * trace (live captures: the Go services, whose /health is traced).
 */
export function startProbes(w: World, rng: Rng, traced: (p: Proc) => boolean): void {
  const e = w.engine;
  for (const p of w.procs) {
    if (!p.spec.probes) continue;
    const node = HEALTH[p.service];
    for (let probe = 0; probe < 2; probe++) {
      const fire = (): void => {
        const ctx = traced(p) ? { trace: w.spans.newTrace('GET /health'), parent: -1 } : UNTRACED;
        externalRequest(w, rng, { host: p.host }, p, node, ctx, true, null, () => undefined);
        e.at(e.now + rng.jitter(3e9, 0.002), fire);
      };
      e.at(e.now + Math.round(rng.uniform(0, 3e9)), fire);
    }
  }
}
