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

/**
 * Runs `body` every `period` ns (± `jitter` of it) from a random phase, idling in between in the
 * call `idle` ([name, ret]) on a blocking thread or on a timer of an event loop. Background
 * routines (`scaled`) run `noise` times as often: noise 2 doubles the idle rate, 0 stops them.
 */
export function* every(p: Proc, period: number, jitter: number, idle: readonly [string, number], body: (() => Routine) | null, scaled = true): Routine {
  const noise = scaled ? p.w.params.noise : 1;
  if (noise <= 0) return;
  const t = period / noise;
  yield sleep(Math.round(p.rng.uniform(0, t)), idle[0], idle[1]);
  for (;;) {
    if (body !== null) yield* body();
    yield sleep(p.rng.jitter(t, jitter), idle[0], idle[1]);
  }
}

/** A call every `period` ns (±`jitter`) that blocks for the period: futex timeouts, nanosleep, epoll_wait. */
export function periodic(p: Proc, period: number, name: string, ret: number, jitter = 0.02): Routine {
  return every(p, period, jitter, [name, ret], null);
}

const FUTEX_TIMEOUT = ['futex', -110] as const;
/** An event loop's timer (no syscall of its own). */
const TIMER = ['', 0] as const;

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
export function mongoMonitor(p: Proc, conn: Conn): Routine {
  return every(p, 10e9, 0.01, FUTEX_TIMEOUT, function* () {
    yield sc(p, 'sendto', 213);
    yield toServer(p, conn, { kind: 'req', node: monitorPing(conn.server.service), ctx: UNTRACED, bytes: 213, close: false });
    const r = (yield wait(replies(conn), 'recvfrom', 16)) as Reply;
    yield sc(p, 'recvfrom', r.bytes);
  });
}

/** The drivers' monitoring command: never traced. */
const monitorPing = (service: string): CallNode => ({ service, proto: 'mongo', method: '', route: 'isMaster', req: 213, resp: 270, traced: false, fixed: true });

/** The AMQP client's heartbeat sender: 8 bytes every 30 s (60 s heartbeat negotiated). */
export function amqpHeartbeat(p: Proc, conn: Conn): Routine {
  return every(p, 30e9, 0.01, FUTEX_TIMEOUT, function* () {
    yield sc(p, 'sendto', 8);
    yield toServer(p, conn, { kind: 'reply', bytes: 8 });
  });
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
export function mgoPinger(p: Proc, conn: Conn): Routine {
  return every(p, 15e9, 0.01, TIMER, function* () {
    yield sc(p, 'write', 58);
    yield toServer(p, conn, { kind: 'req', node: monitorPing(conn.server.service), ctx: UNTRACED, bytes: 58, close: false });
    yield sc(p, 'read', -11);
    const r = (yield wait(replies(conn), 'read', 0)) as Reply;
    yield sc(p, 'read', 16);
    yield sc(p, 'read', r.bytes);
  });
}

// ---------------------------------------------------------------- span reporters (general knowledge)

/** Takes the spans waiting to be reported. */
const takeUnreported = (p: Proc) => call(() => {
  const n = p.unreported;
  p.unreported = 0;
  return n;
});

/** zipkin-go-opentracing's HTTP collector: a 1 s batch ticker; a POST when spans wait. */
export function goReporter(p: Proc): Routine {
  return every(p, 1e9, 0.002, TIMER, function* () {
    const n = (yield takeUnreported(p)) as number;
    if (n === 0) return;
    yield sc(p, 'write', 240 + 330 * n);
    yield sc(p, 'read', -11);
    yield sleep(Math.round(p.rng.lognormal(900e3, 0.4)), '', 0);
    yield sc(p, 'read', 151);
  }, false);
}

/** zipkin's AsyncReporter thread (Sleuth): wakes every second, POSTs the spans that wait. */
export function javaReporter(p: Proc): Routine {
  return every(p, 1e9, 0.002, FUTEX_TIMEOUT, function* () {
    const n = (yield takeUnreported(p)) as number;
    if (n === 0) return;
    yield sc(p, 'sendto', 260 + 350 * n);
    yield sys('recvfrom', 151, Math.round(p.rng.lognormal(1.2e6, 0.4)));
  }, false);
}

/** The front-end's tracer (a jaeger-client): a 1 s flush timer on the event loop, UDP datagrams of ≤ 20 spans to the agent. */
export function nodeReporter(p: Proc): Routine {
  return every(p, 1e9, 0.002, TIMER, function* () {
    const n = (yield takeUnreported(p)) as number;
    for (let left = n; left > 0; left -= 20) yield sc(p, 'sendto', 180 + 260 * Math.min(left, 20));
  }, false);
}

// ---------------------------------------------------------------- Node.js

/** prom-client's default metrics every 10 s, read synchronously on the event loop (general knowledge). */
export function nodeMetrics(p: Proc): Routine {
  return every(p, 10e9, 0.005, TIMER, function* () {
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
  });
}

// ---------------------------------------------------------------- redis

/** serverCron at hz 10 on the event loop: the RSS sample reads /proc/self/stat (general knowledge). */
export function redisCron(p: Proc): Routine {
  return every(p, 100e6, 0.01, TIMER, function* () {
    yield sc(p, 'open', 9);
    yield sc(p, 'read', 310);
    yield sc(p, 'close', 0);
  });
}

// ---------------------------------------------------------------- mongod

/** Full-time diagnostic data capture: /proc samples every second. */
export function ftdc(p: Proc): Routine {
  return every(p, 1e9, 0.005, FUTEX_TIMEOUT, function* () {
    for (const bytes of [340, 2900, 1400, 4100, 2200]) {
      yield sc(p, 'open', fd(p));
      yield sc(p, 'read', bytes);
      yield sc(p, 'close', 0);
    }
  });
}

/** WiredTiger's journal flusher: every 100 ms, a sync of the journal when something was written. */
export function journalFlusher(p: Proc): Routine {
  return every(p, 100e6, 0.01, FUTEX_TIMEOUT, function* () {
    if (!p.dirty) return;
    p.dirty = false;
    yield sc(p, 'pwrite64', 512 * p.rng.int(1, 4));
    yield sys('fdatasync', 0, durNs(p.rng, 'fdatasync'));
  });
}

// ---------------------------------------------------------------- RabbitMQ

/**
 * Erlang timers of the broker as fibers on its schedulers: stats emission (5 s), the memory
 * monitor (2.5 s), the disk monitor (10 s, `df` through the port program) (general knowledge).
 */
export function erlangTimers(p: Proc, period: number, disk: boolean): Routine {
  return every(p, period, 0.01, TIMER, function* () {
    yield work(p, 60);
    if (!disk) return;
    yield sc(p, 'writev', 48);
    yield sc(p, 'read', 120);
    yield sc(p, 'read', 0);
  });
}

/** The broker's frequent internal timeouts: Poisson, a mean 250 ms apart at noise 1 (general knowledge). */
export function* erlangTimeouts(p: Proc): Routine {
  const noise = p.w.params.noise;
  if (noise <= 0) return;
  for (;;) {
    yield sleep(Math.round(p.rng.exp(250e6 / noise)), '', 0);
    yield work(p, 60);
  }
}

/** The broker's heartbeat to one client connection every 30 s. */
export function brokerHeartbeat(p: Proc, conn: Conn): Routine {
  return every(p, 30e9, 0.01, TIMER, function* () {
    yield sc(p, 'writev', 8);
    yield toClient(p, conn, { kind: 'reply', bytes: 8 });
  });
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
        externalRequest(w, rng, { from: { host: p.host }, server: p, node, ctx, close: true, ext: null, onReply: () => undefined });
        e.at(e.now + rng.jitter(3e9, 0.002), fire);
      };
      e.at(e.now + Math.round(rng.uniform(0, 3e9)), fire);
    }
  }
}
