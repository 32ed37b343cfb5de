/**
 * Each runtime's thread model and how a request reaches a thread (SOCKSHOP.md):
 * - Go: GOMAXPROCS Ms sharing a run queue, one of them in epoll_wait as the netpoller, the others
 *   parked in futex; sysmon; goroutines (a listener, one per connection) move between Ms.
 * - Java (Tomcat 8.5): an Acceptor blocked in accept, a ClientPoller in epoll_wait (1 s), an exec
 *   pool of 10 (min spare) handed sockets in FIFO order; VM, GC, compiler and periodic threads;
 *   orders' @Async calls each on a new thread (templates.javaAsync).
 * - Node: one event loop, 4 libuv workers, 4 V8 platform workers.
 * - mongod and mysqld: a thread per connection plus background threads; redis: one thread;
 *   RabbitMQ: Erlang schedulers (one per CPU) sharing the work.
 * Threads without any syscall during a capture (main threads waiting forever, G1 refinement,
 * signal handlers) are created, so they take their ids, but never run.
 */
import { Channel, Fiber, call, wait, type Routine } from './engine';
import {
  amqpHeartbeat, brokerHeartbeat, erlangTimeouts, erlangTimers, ftdc, gcWorker, goReporter, javaReporter, journalFlusher, mgoPinger, mongoMonitor,
  nodeMetrics, nodeReporter, periodic, redisCron, sysmon, vmThread,
} from './idle';
import { Scheduler, WorkerPool, eventLoop, poolWorker, type LoopStyle } from './pools';
import { openSpan, closeSpan } from './spans';
import { serve } from './requests';
import type { Rng } from './rng';
import { durNs, fd, logLine, maybe, newConn, one, readChunks, pickReplica, replies, sc, serverClose, spawn, toClient, toServer, work } from './templates';
import type { Placement } from './topology';
import { UNTRACED, addThread, type Conn, type Msg, type PollerMsg, type Proc, type Reply, type World } from './world';

/** Creates the process of `pl` with its threads (ids from its host's pid space), not yet connected. */
export function buildProcess(w: World, pl: Placement, rng: Rng): Proc {
  const p: Proc = {
    w, host: pl.host, pid: w.pids.take(pl.host), service: pl.spec.name, instance: pl.instance, spec: pl.spec,
    runtime: pl.spec.runtime, replica: pl.replica, rng, threads: [], sched: null, listener: null,
    inbox: () => {
      throw new Error(`${pl.spec.name} accepts no connections`);
    },
    workers: new Map(), poller: null, dbPools: new Map(), keepAlive: new Map(), amqp: null, deliveries: null,
    consumers: [], heapBytes: 0, gc: null, dirty: false, unreported: 0,
    fdBase: pl.spec.runtime === 'java' ? rng.int(60, 140) : rng.int(7, 30),
  };
  switch (p.runtime) {
    case 'go': goProcess(p); break;
    case 'java': javaProcess(p); break;
    case 'node': nodeProcess(p); break;
    case 'mongodb': mongoProcess(p); break;
    case 'mysql': mysqlProcess(p); break;
    case 'redis': redisProcess(p); break;
    case 'rabbitmq': rabbitProcess(p); break;
    default: throw new Error(`no thread model for runtime ${p.runtime}`);
  }
  return p;
}

/** Starts, at time 0, every thread that has a routine and has not started. */
export function startThreads(p: Proc): void {
  for (const th of p.threads) if (th.main !== null && !th.started) th.start(0);
}

const style = (p: Proc, s: Omit<LoopStyle, 'dur'>): LoopStyle => ({ ...s, dur: (name) => durNs(p.rng, name) });

function loopThreads(p: Proc, s: Scheduler, n: number, comm: string, role: string, ls: LoopStyle, mainIsPid: boolean): void {
  for (let i = 0; i < n; i++) {
    const th = addThread(p, comm, role, 'loop', eventLoop(s, ls, p.rng), true, i === 0 && mainIsPid ? p.pid : undefined);
    th.parker = s;
  }
}

function pool(p: Proc, name: string, comms: readonly string[], role: string): WorkerPool {
  const wp = new WorkerPool(p.w.engine);
  for (const comm of comms) addThread(p, comm, role, 'block', poolWorker(wp), true);
  p.workers.set(name, wp);
  return wp;
}

function silentThreads(p: Proc, comms: readonly string[]): void {
  for (const comm of comms) addThread(p, comm, 'idle', 'block', null, true);
}

// ---------------------------------------------------------------- Go

function goProcess(p: Proc): void {
  const e = p.w.engine;
  const s = new Scheduler(e);
  p.sched = s;
  p.listener = new Channel<Conn>(e);
  p.inbox = () => new Channel<Msg>(e);
  const ls = style(p, { multi: true, wakeChance: 0.3 * p.w.params.noise, spin: [0, 1], peekChance: 0.5, spurious: 0.05 * p.w.params.noise });
  // m0 runs the scheduler like any M; sysmon is the first thread it starts
  loopThreads(p, s, 1, p.spec.comm, 'M', ls, true);
  const wake = new Channel<number>(e);
  addThread(p, p.spec.comm, 'sysmon', 'block', sysmon(p, wake), true);
  loopThreads(p, s, p.w.params.hostCpus - 1, p.spec.comm, 'M', ls, false);
  s.onBusy = () => {
    if (wake.waiting > 0) wake.put(1);
  };
  s.ready(new Fiber(goListener(p)));
  s.ready(new Fiber(goReporter(p)));
}

/** net/http's accept loop: accept4, register, start the connection's goroutine, accept4 EAGAIN. */
function* goListener(p: Proc): Routine {
  for (;;) {
    const conn = (yield wait(p.listener as Channel<Conn>, 'accept4', 0)) as Conn;
    yield sc(p, 'accept4', fd(p));
    yield sc(p, 'epoll_ctl', 0);
    yield* spawn(p, new Fiber(goConn(p, conn)));
    yield sc(p, 'accept4', -11);
  }
}

/** A connection's goroutine: read (EAGAIN, park, read), serve, until the client closes. */
function* goConn(p: Proc, conn: Conn): Routine {
  const ch = conn.toServer as Channel<Msg>;
  for (;;) {
    yield sc(p, 'read', -11);
    const m = (yield wait(ch, 'read', 0)) as Msg;
    if (m.kind === 'eof') {
      yield sc(p, 'read', 0);
      yield sc(p, 'close', 0);
      return;
    }
    if (m.kind !== 'req') continue;
    yield* readChunks(p, 'read', m.bytes, 4096, true);
    yield* serve(p, conn, m);
    if (m.close) {
      yield* serverClose(p, conn);
      return;
    }
  }
}

// ---------------------------------------------------------------- Node.js

function nodeProcess(p: Proc): void {
  const e = p.w.engine;
  const s = new Scheduler(e);
  p.sched = s;
  p.listener = new Channel<Conn>(e);
  p.inbox = () => new Channel<Msg>(e);
  loopThreads(p, s, 1, 'node', 'event loop', style(p, { multi: false, wakeChance: 0, spin: [0, 0], peekChance: 0, spurious: 0.05 * p.w.params.noise }), true);
  pool(p, 'v8', ['node', 'node', 'node', 'node'], 'v8 worker');
  pool(p, 'uv', ['node', 'node', 'node', 'node'], 'libuv');
  s.ready(new Fiber(nodeListener(p)));
  s.ready(new Fiber(nodeMetrics(p)));
  s.ready(new Fiber(nodeReporter(p)));
}

/** libuv's server: accept4 until EAGAIN, each connection read on the loop. */
function* nodeListener(p: Proc): Routine {
  for (;;) {
    const conn = (yield wait(p.listener as Channel<Conn>, 'accept4', 0)) as Conn;
    yield sc(p, 'accept4', fd(p));
    yield call(() => (p.sched as Scheduler).ready(new Fiber(nodeConn(p, conn))));
    yield sc(p, 'accept4', -11);
  }
}

/** An HTTP connection on the event loop: read until EAGAIN, serve, until the client closes. */
function* nodeConn(p: Proc, conn: Conn): Routine {
  const ch = conn.toServer as Channel<Msg>;
  yield sc(p, 'epoll_ctl', 0);
  for (;;) {
    const m = (yield wait(ch, 'read', 0)) as Msg;
    if (m.kind === 'eof') {
      yield sc(p, 'read', 0);
      yield sc(p, 'close', 0);
      return;
    }
    if (m.kind !== 'req') continue;
    yield* readChunks(p, 'read', m.bytes, 65536, true);
    if (maybe(p, 0.1)) yield sc(p, 'read', -11);
    yield* serve(p, conn, m);
  }
}

// ---------------------------------------------------------------- Java

const JAVA_COMPILERS = ['C2 CompilerThread0', 'C2 CompilerThread1', 'C1 CompilerThread2'];

function javaProcess(p: Proc): void {
  const e = p.w.engine;
  addThread(p, 'java', 'main', 'block', null, false, p.pid);
  const gcChannels: Channel<number>[] = [];
  for (let i = 0; i < Math.min(p.w.params.hostCpus, 8); i++) {
    const ch = new Channel<number>(e);
    gcChannels.push(ch);
    addThread(p, 'java', 'gc', 'block', gcWorker(p, ch), true);
  }
  silentThreads(p, ['java', 'java', 'java']); // G1 Main Marker, G1 Conc#0, G1 Refine#0
  const vm = new Channel<number>(e);
  addThread(p, 'java', 'vm thread', 'block', vmThread(p, vm, gcChannels), true);
  p.gc = (pause) => vm.put(pause);
  silentThreads(p, ['Reference Handler', 'Finalizer', 'Signal Dispatcher']);
  for (const comm of JAVA_COMPILERS) addThread(p, comm, 'compiler', 'block', periodic(p, 5e9, 'futex', -110, 0.005), true);
  silentThreads(p, ['Service Thread']);
  addThread(p, 'java', 'periodic task', 'block', periodic(p, 50e6, 'futex', -110, 0.01), true);
  // embedded Tomcat 8.5
  addThread(p, 'ContainerBackgroundProcessor[StandardEngine[Tomcat]]', 'background', 'block', periodic(p, 10e9, 'futex', -110, 0.002), true);
  // AbstractProtocol's AsyncTimeout thread: Thread.sleep(1000) in a loop
  addThread(p, 'http-nio-80-AsyncTimeout', 'background', 'block', periodic(p, 1e9, 'futex', -110, 0.002), true);
  pool(p, 'exec', Array.from({ length: 10 }, (_, i) => `http-nio-80-exec-${i + 1}`), 'exec');
  const poller = new Channel<PollerMsg>(e);
  p.poller = poller;
  p.listener = new Channel<Conn>(e);
  p.inbox = (conn) => ({ put: (msg: Msg) => poller.put({ kind: 'data', conn, msg }) });
  addThread(p, 'http-nio-80-ClientPoller-0', 'poller', 'block', tomcatPoller(p), true);
  addThread(p, 'http-nio-80-Acceptor-0', 'acceptor', 'block', tomcatAcceptor(p), true);
  addThread(p, 'NioBlockingSelector.BlockPoller-1', 'block poller', 'block', periodic(p, 1e9, 'epoll_wait', 0, 0.002), true);
  addThread(p, 'AsyncReporter{URLConnectionSender}', 'span reporter', 'block', javaReporter(p), true);
}

/** The Acceptor: blocking accept, make the socket non-blocking, register it with the poller. */
function* tomcatAcceptor(p: Proc): Routine {
  for (;;) {
    const conn = (yield wait(p.listener as Channel<Conn>, 'accept', () => fd(p))) as Conn;
    yield sc(p, 'fcntl', 2);
    yield sc(p, 'fcntl', 0);
    yield sc(p, 'setsockopt', 0);
    yield* pollerEvent(p, conn);
  }
}

/** Queues a registration for the poller and wakes its selector (a byte on the wakeup pipe). */
function* pollerEvent(p: Proc, conn: Conn): Routine {
  yield sc(p, 'write', 1);
  yield call(() => (p.poller as Channel<PollerMsg>).put({ kind: 'reg', conn }));
}

/**
 * The ClientPoller: epoll_wait with a 1 s timeout; registrations drain the wakeup pipe and
 * update interest; a readable socket goes to the exec pool (futex wake when a worker is idle).
 */
function* tomcatPoller(p: Proc): Routine {
  const exec = p.workers.get('exec') as WorkerPool;
  for (;;) {
    const m = (yield wait(p.poller as Channel<PollerMsg>, 'epoll_wait', 1, 1e9, 0)) as PollerMsg | null;
    if (m === null) continue;
    if (m.kind === 'reg') {
      yield sc(p, 'read', 1);
      yield sc(p, 'epoll_ctl', 0);
      continue;
    }
    if ((yield call(() => exec.idle)) as boolean) yield sc(p, 'futex', 1);
    yield call(() => exec.submit(new Fiber(tomcatTask(p, m.conn, m.msg))));
    yield sc(p, 'epoll_ctl', 0);
  }
}

/** An exec thread's task: read the request, serve it, then close or register for the next one. */
function* tomcatTask(p: Proc, conn: Conn, m: Msg): Routine {
  if (m.kind === 'eof') {
    yield sc(p, 'read', 0);
    yield sc(p, 'close', 0);
    return;
  }
  if (m.kind !== 'req') return;
  yield* readChunks(p, 'read', m.bytes, 8192, false);
  yield* serve(p, conn, m);
  if (m.close) yield* serverClose(p, conn);
  else yield* pollerEvent(p, conn);
}

/** The AMQP client's connection thread: blocking reads of frames; deliveries go to the consumer pool. */
function* amqpReader(p: Proc, conn: Conn): Routine {
  for (;;) {
    const m = (yield wait(replies(conn), 'recvfrom', (x) => (x as Reply).bytes)) as Msg;
    if (m.kind !== 'reply' || m.ctx === undefined) continue;
    const consumers = p.workers.get('consumer') as WorkerPool;
    if ((yield call(() => consumers.idle)) as boolean) yield sc(p, 'futex', 1);
    yield call(() => consumers.submit(new Fiber(consumerDispatch(p, m))));
  }
}

/** handleDelivery on the consumer work pool: into the listener container's queue. */
function* consumerDispatch(p: Proc, m: Reply): Routine {
  yield work(p, 25);
  yield sc(p, 'futex', 1);
  yield call(() => (p.deliveries as Channel<Reply>).put(m));
}

/**
 * queue-master's listener container thread: waits 1 s (receiveTimeout) for a delivery; handles
 * it in the consumer span ("Received shipment task"), then acks.
 */
function* queueListener(p: Proc): Routine {
  const conn = p.amqp as Conn;
  for (;;) {
    const m = (yield wait(p.deliveries as Channel<Reply>, 'futex', 0, 1e9, -110)) as Reply | null;
    if (m === null) continue;
    const ctx = m.ctx ?? UNTRACED;
    const span = ctx.trace >= 0 ? ((yield* openSpan(p, ctx, m.operation ?? 'consume', 'consumer')) as number) : -1;
    if (ctx.trace >= 0) yield call(() => p.w.spans.release(ctx.trace));
    yield work(p, 350);
    yield* logLine(p);
    yield sc(p, 'sendto', 21);
    yield toServer(p, conn, { kind: 'reply', bytes: 21 });
    if (span >= 0) yield* closeSpan(p, span);
  }
}

// ---------------------------------------------------------------- databases and the broker

const MONGO_THREADS = ['ftdc', 'WTJournalFlusher', 'clientcursormon', 'TTLMonitor', 'WTCheckpointThread'];

function mongoProcess(p: Proc): void {
  const e = p.w.engine;
  addThread(p, 'mongod', 'main', 'block', null, false, p.pid);
  silentThreads(p, ['signalProcessingThread']);
  const routines: Record<string, Routine> = {
    ftdc: ftdc(p),
    WTJournalFlusher: journalFlusher(p),
    clientcursormon: periodic(p, 4e9, 'futex', -110, 0.002),
    TTLMonitor: periodic(p, 60e9, 'futex', -110, 0.001),
    WTCheckpointThread: periodic(p, 60e9, 'futex', -110, 0.001),
  };
  for (const name of MONGO_THREADS) addThread(p, name, name, 'block', routines[name], true);
  let conns = 0;
  p.inbox = (conn) => {
    const ch = new Channel<Msg>(e);
    const th = addThread(p, `conn${++conns}`, 'connection', 'block', mongoConn(p, conn, ch));
    th.start(e.now);
    return ch;
  };
}

/** A mongod connection thread: header and body with recvfrom, serve, sendmsg. */
function* mongoConn(p: Proc, conn: Conn, ch: Channel<Msg>): Routine {
  for (;;) {
    const m = (yield wait(ch, 'recvfrom', 16)) as Msg;
    if (m.kind === 'eof') {
      yield sc(p, 'close', 0);
      return;
    }
    if (m.kind !== 'req') continue;
    if (/^(insert|update|delete)/.test(m.node.route)) p.dirty = true;
    yield* serve(p, conn, m, readChunks(p, 'recvfrom', Math.max(1, m.bytes - 16), 65536, false));
  }
}

function mysqlProcess(p: Proc): void {
  const e = p.w.engine;
  addThread(p, 'mysqld', 'main', 'block', null, false, p.pid);
  for (let i = 0; i < 10; i++) addThread(p, 'mysqld', 'innodb io', 'block', periodic(p, 500e6, 'io_getevents', 0, 0.01), true);
  addThread(p, 'mysqld', 'innodb master', 'block', periodic(p, 1e9, 'nanosleep', 0, 0.003), true);
  for (const role of ['page cleaner', 'lock timeout', 'error monitor']) addThread(p, 'mysqld', role, 'block', periodic(p, 1e9, 'futex', -110, 0.003), true);
  addThread(p, 'mysqld', 'innodb monitor', 'block', periodic(p, 5e9, 'futex', -110, 0.002), true);
  silentThreads(p, ['mysqld', 'mysqld', 'mysqld', 'mysqld', 'mysqld']); // purge coordinator and workers, signal handler
  p.inbox = (conn) => {
    const ch = new Channel<Msg>(e);
    const th = addThread(p, 'mysqld', 'connection', 'block', mysqlConn(p, conn, ch));
    th.start(e.now);
    return ch;
  };
}

/** A mysqld connection thread: recv EAGAIN, poll, packet header and payload, serve. */
function* mysqlConn(p: Proc, conn: Conn, ch: Channel<Msg>): Routine {
  for (;;) {
    yield sc(p, 'recvfrom', -11);
    const m = (yield wait(ch, 'poll', 1)) as Msg;
    if (m.kind === 'eof') {
      yield sc(p, 'recvfrom', 0);
      yield sc(p, 'close', 0);
      return;
    }
    if (m.kind !== 'req') continue;
    yield* serve(p, conn, m, mysqlPacket(p, m.bytes));
  }
}

/** A MySQL packet: its 4-byte header, then the payload. */
function* mysqlPacket(p: Proc, bytes: number): Routine {
  yield sc(p, 'recvfrom', 4);
  yield* readChunks(p, 'recvfrom', Math.max(1, bytes - 4), 16384, false);
}

function redisProcess(p: Proc): void {
  const e = p.w.engine;
  const s = new Scheduler(e);
  p.sched = s;
  loopThreads(p, s, 1, 'redis-server', 'event loop', style(p, { multi: false, wakeChance: 0, spin: [0, 0], peekChance: 0, spurious: 0 }), true);
  silentThreads(p, ['redis-server', 'redis-server', 'redis-server']); // bio threads
  p.inbox = (conn) => {
    const ch = new Channel<Msg>(e);
    s.ready(new Fiber(redisConn(p, conn, ch)));
    return ch;
  };
  s.ready(new Fiber(redisCron(p)));
}

/** A redis client on the event loop: read the command, serve, write the reply. */
function* redisConn(p: Proc, conn: Conn, ch: Channel<Msg>): Routine {
  for (;;) {
    const m = (yield wait(ch, 'read', 0)) as Msg;
    if (m.kind !== 'req') continue;
    yield* serve(p, conn, m, one(sc(p, 'read', m.bytes)));
  }
}

function rabbitProcess(p: Proc): void {
  const e = p.w.engine;
  const s = new Scheduler(e);
  p.sched = s;
  addThread(p, 'beam.smp', 'main', 'block', null, false, p.pid);
  silentThreads(p, ['beam.smp', 'beam.smp']); // signal handler, sys_msg_dispatcher
  const ls = style(p, { multi: true, wakeChance: 0.4 * p.w.params.noise, spin: [1, 4], peekChance: 0, spurious: 0 });
  loopThreads(p, s, p.w.params.hostCpus, 'beam.smp', 'scheduler', ls, false);
  silentThreads(p, ['beam.smp']); // aux
  silentThreads(p, Array.from({ length: 64 }, () => 'beam.smp')); // the async pool (+A 64)
  p.inbox = (conn) => {
    const ch = new Channel<Msg>(e);
    s.ready(new Fiber(rabbitConn(p, conn, ch)));
    s.ready(new Fiber(brokerHeartbeat(p, conn)));
    return ch;
  };
  for (const [period, disk] of [[5e9, false], [2.5e9, false], [10e9, true]] as const) s.ready(new Fiber(erlangTimers(p, period, disk)));
  s.ready(new Fiber(erlangTimeouts(p)));
}

/**
 * A broker connection on the schedulers: a publish is routed to the queue and delivered to the
 * next consumer (round robin); acks and heartbeats are read and dropped.
 */
function* rabbitConn(p: Proc, conn: Conn, ch: Channel<Msg>): Routine {
  let next = 0;
  for (;;) {
    const m = (yield wait(ch, 'recvfrom', 0)) as Msg;
    if (m.kind === 'eof') return;
    yield sc(p, 'recvfrom', m.bytes);
    if (m.kind !== 'req') {
      yield work(p, 10);
      continue;
    }
    const traced = m.ctx.trace >= 0 && p.w.params.storageSpans === 'all';
    const span = traced ? ((yield* openSpan(p, m.ctx, m.node.route, 'server')) as number) : -1;
    yield work(p, 45);
    // the queue process often runs on another scheduler
    if (p.rng.chance(0.5)) yield sc(p, 'futex', 1);
    const consumer = p.consumers.length === 0 ? null : p.consumers[next++ % p.consumers.length];
    const ctx = span >= 0 ? { trace: m.ctx.trace, parent: span } : m.ctx;
    if (consumer !== null) {
      yield sc(p, 'writev', m.bytes + 90);
      yield toClient(p, consumer, { kind: 'reply', bytes: m.bytes + 90, ctx, operation: m.node.consumer?.operation });
    } else if (m.ctx.trace >= 0) {
      yield call(() => p.w.spans.release(m.ctx.trace));
    }
    if (span >= 0) yield* closeSpan(p, span);
  }
}

// ---------------------------------------------------------------- clients' connections

/**
 * Opens the clients' long-lived connections at start-up: connection pools to the databases
 * (spread over the replicas by kube-proxy), the drivers' monitor connections and threads, the
 * front-end's redis connection, the AMQP connections (each queue-master consuming from one broker).
 */
export function connectClients(w: World): void {
  const brokers = w.replicas('rabbitmq');
  for (const p of w.procs) {
    const e = w.engine;
    switch (p.service) {
      case 'front-end':
        dbPool(p, 'session-db', 1);
        break;
      case 'catalogue':
        dbPool(p, 'catalogue-db', 2);
        break;
      case 'user': {
        dbPool(p, 'user-db', 2);
        const ping = newConn(p, pickReplica(w, 'user-db', p.rng), new Channel<Msg>(e));
        (p.sched as Scheduler).ready(new Fiber(mgoPinger(p, ping)));
        break;
      }
      case 'carts':
      case 'orders': {
        const db = `${p.service}-db`;
        dbPool(p, db, 2);
        const monitor = newConn(p, pickReplica(w, db, p.rng), new Channel<Msg>(e));
        addThread(p, `cluster-ClusterId{value='${p.rng.hex(24)}'}`, 'mongo monitor', 'block', mongoMonitor(p, monitor)).start(0);
        break;
      }
      case 'shipping':
      case 'queue-master': {
        const consumer = p.service === 'queue-master';
        const broker = consumer ? brokers[p.replica % brokers.length] : p.rng.pick(brokers);
        const conn = newConn(p, broker, new Channel<Msg>(e));
        p.amqp = conn;
        addThread(p, `AMQP Connection ${broker.host}:5672`, 'amqp connection', 'block', amqpReader(p, conn)).start(0);
        addThread(p, 'pool-1-thread-1', 'amqp heartbeat', 'block', amqpHeartbeat(p, conn)).start(0);
        if (consumer) {
          broker.consumers.push(conn);
          p.deliveries = new Channel<Reply>(e);
          const wp = new WorkerPool(e);
          p.workers.set('consumer', wp);
          for (const comm of ['pool-2-thread-1', 'pool-2-thread-2']) addThread(p, comm, 'amqp consumer', 'block', poolWorker(wp)).start(0);
          addThread(p, 'SimpleAsyncTaskExecutor-1', 'listener', 'block', queueListener(p)).start(0);
        }
        break;
      }
      default:
        break;
    }
  }
}

function dbPool(p: Proc, service: string, n: number): void {
  const free = Array.from({ length: n }, () => newConn(p, pickReplica(p.w, service, p.rng), new Channel<Msg>(p.w.engine)));
  p.dbPools.set(service, { free, waiters: new Channel<Conn>(p.w.engine) });
}
