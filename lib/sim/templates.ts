/**
 * Stochastic syscall templates: what each runtime's code does at the syscall level for one step
 * of a request (read a request, write a response, call a downstream service or a database, resolve
 * a name, collect garbage). Payloads are split into reads by buffer size, optional parts come with
 * a chance (scaled by the noise knob), durations are drawn. The runtimes share most syscalls
 * (read/write/futex/epoll_wait) whatever the endpoint, as the paper observes.
 */
import type { CallNode } from './callgraph';
import { Channel, Fiber, call, cpu, send, sys, wait, type CpuOp, type Routine, type SendOp, type SimThread, type SysOp } from './engine';
import type { WorkerPool } from './pools';
import type { Rng } from './rng';
import { closeSpan, openSpan } from './spans';
import { EOF, addThread, type Conn, type ConnPool, type Ctx, type Msg, type Proc, type Reply, type Req, type World } from './world';

/** Median durations (ns) of calls that do not block (general knowledge of a 2015 Xeon server). */
const MEDIAN_NS: Readonly<Record<string, number>> = {
  read: 3500, write: 7000, readv: 4000, writev: 8000, recvfrom: 4500, sendto: 11000, sendmsg: 11000,
  futex: 2500, epoll_wait: 1500, epoll_ctl: 2000, accept: 7000, accept4: 7000, socket: 6000,
  connect: 16000, close: 4500, getsockopt: 1300, setsockopt: 1600, fcntl: 900, bind: 3000,
  open: 9000, openat: 9000, fstat: 1600, stat: 4500, getdents64: 9000, poll: 2500, sched_yield: 1000,
  clone: 48000, mmap: 4000, mprotect: 3500, madvise: 5000, set_robust_list: 700, prctl: 1200,
  getrusage: 1800, pread64: 14000, pwrite64: 18000, fdatasync: 900000, io_getevents: 2000,
};

/** A drawn duration (ns) of a non-blocking call of `name`. */
export function durNs(rng: Rng, name: string): number {
  return 300 + Math.round(rng.lognormal(MEDIAN_NS[name] ?? 3000, 0.45));
}

/** A syscall op with a drawn duration. */
export const sc = (p: Proc, name: string, ret: number): SysOp => sys(name, ret, durNs(p.rng, name));

/** User-space work of median `us` µs. */
export const work = (p: Proc, us: number): CpuOp => cpu(Math.round(p.rng.lognormal(us * 1000, 0.5)));

/** True with chance `prob` scaled by the noise knob (optional syscalls). */
export function maybe(p: Proc, prob: number): boolean {
  return p.rng.chance(Math.min(1, prob * p.w.params.noise));
}

/** A payload size around `n` bytes (± `spread`, 30% by default). */
export function size(p: Proc, n: number, spread = 0.3): number {
  return Math.max(1, Math.round(n * p.rng.uniform(1 - spread, 1 + spread)));
}

/** A new file descriptor: the lowest free one, mostly the same few numbers. */
export function fd(p: Proc): number {
  return p.fdBase + (p.rng.chance(0.75) ? 0 : p.rng.int(1, 3));
}

/** Writes (calls of `name`) of `n` bytes through a `chunk`-byte buffer. */
export function* chunks(p: Proc, name: string, n: number, chunk: number): Routine {
  do {
    yield sc(p, name, Math.min(n, chunk));
    n -= chunk;
  } while (n > 0);
}

/** A TCP segment's payload: data arriving in pieces is read in multiples of it. */
const MSS = 1448;

/**
 * Reads of `n` bytes through a `chunk`-byte buffer. A read may find only part of a multi-segment
 * payload arrived (a multiple of the MSS); the rest is then waited for: a non-blocking reader gets
 * EAGAIN and polls, a blocking one blocks in its next read.
 */
export function* readChunks(p: Proc, name: string, n: number, chunk: number, nonBlocking: boolean): Routine {
  let left = n;
  for (;;) {
    let take = Math.min(left, chunk);
    if (take > MSS && maybe(p, 0.25)) take = MSS * p.rng.int(1, Math.ceil(take / MSS) - 1);
    yield sc(p, name, take);
    left -= take;
    if (left <= 0) return;
    if (take === chunk) continue;
    const rest = Math.round(p.rng.lognormal(30e3, 0.6));
    if (nonBlocking) {
      yield sc(p, name, -11);
      yield sys('epoll_wait', 1, rest);
    } else {
      yield cpu(rest);
    }
  }
}

/**
 * The optional calls a handler of `p`'s runtime makes now and then at any point of its work:
 * Java threads stopping at a safepoint (GuaranteedSafepointInterval, GC) and contended monitors,
 * debug log lines; Go waking an idle P and checking the netpoller; Node's console.log and
 * spurious poll wake-ups; the databases' lock waits, spins and cache misses. Chances scale with
 * the noise knob (general knowledge: to be checked against a real capture).
 */
export function* incidental(p: Proc): Routine {
  switch (p.runtime) {
    case 'java':
      if (maybe(p, 0.05)) yield sys('futex', 0, Math.round(p.rng.lognormal(80e3, 0.7)));
      if (maybe(p, 0.06)) yield sys('futex', p.rng.chance(0.5) ? 0 : -11, Math.round(p.rng.lognormal(8000, 0.8)));
      if (maybe(p, 0.06)) yield* logLine(p);
      break;
    case 'go':
      if (maybe(p, 0.08)) yield sc(p, 'futex', 1);
      if (maybe(p, 0.06)) yield sc(p, 'epoll_wait', 0);
      break;
    case 'node':
      if (maybe(p, 0.08)) yield* logLine(p);
      if (maybe(p, 0.06)) yield sc(p, 'epoll_wait', 1);
      break;
    case 'mongodb':
    case 'mysql':
      if (maybe(p, 0.08)) yield sys('futex', 0, Math.round(p.rng.lognormal(15e3, 0.7)));
      if (maybe(p, 0.05)) for (let i = p.rng.int(1, 3); i > 0; i--) yield sc(p, 'sched_yield', 0);
      if (maybe(p, 0.05)) yield sc(p, 'pread64', p.runtime === 'mysql' ? 16384 : 4096 * p.rng.int(1, 8));
      break;
    default:
      break;
  }
}

/** A routine of one op. */
export function* one(op: SysOp): Routine {
  yield op;
}

/** A replica of `service`, as kube-proxy picks one for a new connection (at random). */
export function pickReplica(w: World, service: string, rng: Rng): Proc {
  return rng.pick(w.replicas(service));
}

/** A new connection from `client` to `server`; the server's runtime decides where data goes. */
export function newConn(client: Proc | null, server: Proc, toClient: Channel<Msg> | { put(m: Msg): void }): Conn {
  const conn: Conn = { server, client, toServer: { put: () => undefined }, toClient, lastUsed: 0, up: { last: 0 }, down: { last: 0 } };
  conn.toServer = server.inbox(conn);
  return conn;
}

/** Sends `msg` from the client to the server of `conn`, in order with its other messages. */
export function toServer(p: Proc, conn: Conn, msg: Msg): SendOp {
  return send(conn.toServer, msg, p.w.netNs(p, conn.server), conn.up);
}

/** Sends `msg` from the server to the client of `conn`, in order with its other messages. */
export function toClient(p: Proc, conn: Conn, msg: Msg): SendOp {
  return send(conn.toClient, msg, p.w.netNs(p, conn.client), conn.down);
}

/** The channel where a process client's replies arrive. */
export function replies(conn: Conn): Channel<Msg> {
  return conn.toClient as Channel<Msg>;
}

/** A request message for `node` with context `ctx`. */
export function request(p: Proc, node: CallNode, ctx: Ctx, close: boolean): Req {
  return { kind: 'req', node, ctx, bytes: node.fixed === true ? node.req : size(p, node.req, 0.1), close };
}

/** A reply to `node`: its response size, drawn unless fixed. */
export function reply(p: Proc, node: CallNode): Reply {
  return { kind: 'reply', bytes: node.fixed === true ? node.resp : size(p, node.resp) };
}

/** Takes a connection from a client pool (LIFO), waiting in futex (or parked) when all are busy. */
export function* acquire(pool: ConnPool): Routine<Conn> {
  const c = (yield call(() => pool.free.pop())) as Conn | undefined;
  if (c !== undefined) return c;
  return (yield wait(pool.waiters, 'futex', 0)) as Conn;
}

/** Returns a connection to its pool. */
export function release(pool: ConnPool, conn: Conn): void {
  if (pool.waiters.waiting > 0) pool.waiters.put(conn);
  else pool.free.push(conn);
}

/** The client span a caller's tracer emits for `node`, or null (Go clients and storage calls emit none). */
export function clientOperation(p: Proc, node: CallNode): string | null {
  if (node.proto !== 'http' || node.traced === false) return null;
  if (p.spec.tracer === 'node') return `${node.method} ${node.route}`;
  if (p.spec.tracer === 'java') return `http:${node.route}`;
  return null;
}

/** Opens the client span of a call when the caller emits one; returns the callee's context and the span. */
function* clientSpan(p: Proc, node: CallNode, ctx: Ctx): Routine<{ ctx: Ctx; span: number }> {
  const op = ctx.trace >= 0 ? clientOperation(p, node) : null;
  if (op === null) return { ctx, span: -1 };
  const span = (yield* openSpan(p, ctx, op, 'client')) as number;
  return { ctx: { trace: ctx.trace, parent: span }, span };
}

// ---------------------------------------------------------------- Node.js (front-end)

/** Runs `job` on the libuv pool: wake a worker, park until its async write, drain the eventfd. */
export function* uvJob(p: Proc, job: Routine): Routine {
  const done = new Channel<number>(p.w.engine);
  const pool = p.workers.get('uv') as WorkerPool;
  if ((yield call(() => pool.idle)) as boolean) yield sc(p, 'futex', 1);
  yield call(() => pool.submit(new Fiber(uvRun(p, job, done))));
  yield wait(done, 'read', 8);
  yield sc(p, 'read', 8);
}

function* uvRun(p: Proc, job: Routine, done: Channel<number>): Routine {
  yield* job;
  yield sc(p, 'write', 8);
  yield call(() => done.put(1));
}

/** musl's getaddrinfo in the front-end's alpine image: hosts and resolv.conf, then DNS over UDP. */
export function* dnsLookup(p: Proc): Routine {
  for (const bytes of [180, 110]) {
    yield sc(p, 'open', fd(p));
    yield sc(p, 'readv', bytes);
    yield sc(p, 'readv', 0);
    yield sc(p, 'close', 0);
  }
  yield sc(p, 'socket', fd(p));
  yield sc(p, 'bind', 0);
  yield sc(p, 'sendto', 62);
  yield sc(p, 'sendto', 62);
  yield sys('poll', 1, Math.round(p.rng.lognormal(350_000, 0.4)));
  yield sc(p, 'recvfrom', 150);
  if (p.rng.chance(0.5)) yield sys('poll', 1, Math.round(p.rng.lognormal(20_000, 0.5)));
  yield sc(p, 'recvfrom', 140);
  yield sc(p, 'close', 0);
}

/** The front-end's outgoing HTTP call with `request` and no keep-alive: DNS, connect, write, read, close. */
export function* nodeHttpCall(p: Proc, node: CallNode, ctx: Ctx): Routine {
  const w = p.w;
  const { ctx: child, span } = yield* clientSpan(p, node, ctx);
  yield work(p, 120);
  yield* uvJob(p, dnsLookup(p));
  const server = pickReplica(w, node.service, p.rng);
  const conn = newConn(p, server, new Channel<Msg>(w.engine));
  const oneWay = w.netNs(p, server);
  yield sc(p, 'socket', fd(p));
  yield sc(p, 'connect', -115);
  yield sc(p, 'epoll_ctl', 0);
  yield send(server.listener as Channel<Conn>, conn, oneWay);
  const connected = new Channel<number>(w.engine);
  yield send(connected, 1, 2 * oneWay + 3000);
  yield wait(connected, 'epoll_wait', 1);
  yield sc(p, 'getsockopt', 0);
  yield work(p, 60);
  const req = request(p, node, child, true);
  yield sc(p, 'write', req.bytes);
  yield toServer(p, conn, req);
  const r = (yield wait(replies(conn), 'read', 0)) as Reply;
  yield* readChunks(p, 'read', r.bytes, 65536, true);
  yield work(p, 100);
  if (span >= 0) yield* closeSpan(p, span);
  yield wait(replies(conn), 'read', 0);
  yield sc(p, 'read', 0);
  yield sc(p, 'close', 0);
}

/** A session command to redis on the front-end's one connection (node_redis). */
export function* nodeRedisCall(p: Proc, node: CallNode, ctx: Ctx): Routine {
  const conn = (p.dbPools.get(node.service) as ConnPool).free[0];
  const req = request(p, node, ctx, false);
  yield sc(p, 'write', req.bytes);
  yield toServer(p, conn, req);
  const r = (yield wait(replies(conn), 'read', 0)) as Reply;
  yield sc(p, 'read', r.bytes);
  // libuv stops reading at a short read; a second read finds EAGAIN only when the poll woke twice
  if (maybe(p, 0.1)) yield sc(p, 'read', -11);
}

/** express.static: stat, open, reads and close, each a separate job on the libuv pool. */
export function* nodeFile(p: Proc, bytes: number): Routine {
  yield* uvJob(p, one(sc(p, 'stat', 0)));
  yield* uvJob(p, one(sc(p, 'open', fd(p))));
  for (let left = bytes; left > 0; left -= 65536) yield* uvJob(p, one(sc(p, 'read', Math.min(left, 65536))));
  yield* uvJob(p, one(sc(p, 'read', 0)));
  yield* uvJob(p, one(sc(p, 'close', 0)));
}

// ---------------------------------------------------------------- Go

/** A query through mgo or go-sql-driver: write, read EAGAIN, park, read the reply. */
export function* goDbCall(p: Proc, node: CallNode, ctx: Ctx): Routine {
  const pool = p.dbPools.get(node.service) as ConnPool;
  const conn = (yield* acquire(pool)) as Conn;
  const req = request(p, node, ctx, false);
  yield sc(p, 'write', req.bytes);
  yield toServer(p, conn, req);
  yield sc(p, 'read', -11);
  const r = (yield wait(replies(conn), 'read', 0)) as Reply;
  if (node.proto === 'mongo') {
    yield sc(p, 'read', 16);
    yield sc(p, 'read', r.bytes);
  } else {
    yield* readChunks(p, 'read', r.bytes, 4096, true);
  }
  yield call(() => release(pool, conn));
}

// ---------------------------------------------------------------- Java

/** A connection from the caller's HTTP keep-alive cache (idle ≤ 5 s), or a new blocking connect. */
function* javaConnect(p: Proc, service: string): Routine<Conn> {
  const w = p.w;
  let cache = p.keepAlive.get(service);
  if (cache === undefined) p.keepAlive.set(service, (cache = []));
  for (;;) {
    const c = (yield call((th: SimThread) => {
      const x = (cache as Conn[]).pop();
      return x !== undefined && th.t - x.lastUsed > 5e9 ? { stale: x } : x;
    })) as Conn | { stale: Conn } | undefined;
    if (c === undefined) break;
    if (!('stale' in c)) return c;
    yield sc(p, 'close', 0);
    yield toServer(p, c.stale, EOF);
  }
  const server = pickReplica(w, service, p.rng);
  const conn = newConn(p, server, new Channel<Msg>(w.engine));
  const oneWay = w.netNs(p, server);
  yield sc(p, 'socket', fd(p));
  yield send(server.listener as Channel<Conn>, conn, oneWay);
  yield sys('connect', 0, 2 * oneWay + durNs(p.rng, 'connect'));
  yield sc(p, 'setsockopt', 0);
  return conn;
}

/** RestTemplate over HttpURLConnection (keep-alive), with Sleuth's client span. */
export function* javaHttpCall(p: Proc, node: CallNode, ctx: Ctx): Routine {
  const { ctx: child, span } = yield* clientSpan(p, node, ctx);
  yield work(p, 90);
  const conn = (yield* javaConnect(p, node.service)) as Conn;
  const req = request(p, node, child, false);
  if (node.method === 'POST') {
    yield sc(p, 'sendto', 240);
    yield sc(p, 'sendto', req.bytes);
  } else {
    yield sc(p, 'sendto', req.bytes);
  }
  yield toServer(p, conn, req);
  const r = (yield wait(replies(conn), 'recvfrom', (m) => Math.min((m as Reply).bytes, MSS))) as Reply;
  if (r.bytes > MSS) yield* readChunks(p, 'recvfrom', r.bytes - MSS, 8192, false);
  yield work(p, 120);
  if (span >= 0) yield* closeSpan(p, span);
  yield call((th: SimThread) => {
    conn.lastUsed = th.t;
    (p.keepAlive.get(node.service) as Conn[]).push(conn);
  });
}

/** A command through the MongoDB Java driver: sendto, then the reply's header and body. */
export function* javaMongoCall(p: Proc, node: CallNode, ctx: Ctx): Routine {
  const pool = p.dbPools.get(node.service) as ConnPool;
  yield* incidental(p);
  const conn = (yield* acquire(pool)) as Conn;
  const req = request(p, node, ctx, false);
  yield sc(p, 'sendto', req.bytes);
  yield toServer(p, conn, req);
  const r = (yield wait(replies(conn), 'recvfrom', 16)) as Reply;
  yield* readChunks(p, 'recvfrom', r.bytes, 65536, false);
  yield call(() => release(pool, conn));
}

/** RabbitTemplate.convertAndSend: the frames in one write; the trace stays open until consumed. */
export function* javaPublish(p: Proc, node: CallNode, ctx: Ctx): Routine {
  const conn = p.amqp as Conn;
  yield work(p, 80);
  if (ctx.trace >= 0) yield call(() => p.w.spans.hold(ctx.trace));
  const req = request(p, node, ctx, false);
  yield sc(p, 'sendto', req.bytes);
  yield toServer(p, conn, req);
}

/**
 * Starts `job` on a new thread (orders' @Async on SimpleAsyncTaskExecutor: a thread per call):
 * the JVM maps the stack and clones; the thread runs the job and exits. `done` gets 1 at its end.
 */
export function* javaAsync(p: Proc, job: Routine, done: Channel<number>): Routine {
  yield sc(p, 'mmap', 139_900_000_000_000 + p.rng.int(0, 99_999_999) * 4096);
  yield sc(p, 'mprotect', 0);
  const cloneNs = durNs(p.rng, 'clone');
  const th = (yield call((parent: SimThread) => {
    const t = addThread(p, 'SimpleAsyncTask', 'async', 'block', null);
    const f = new Fiber(asyncThread(p, job));
    f.whenDone(() => done.put(1));
    t.start(parent.t + cloneNs, f);
    return t;
  })) as SimThread;
  yield sys('clone', th.tid, cloneNs);
}

function* asyncThread(p: Proc, job: Routine): Routine {
  yield sc(p, 'set_robust_list', 0);
  yield sc(p, 'prctl', 0);
  yield* job;
  yield sc(p, 'madvise', 0);
  yield sys('exit', NaN, NaN);
}

/** Waits for `n` completions on `done` (Future.get: futex only when one is not done yet). */
export function* join(done: Channel<number>, n: number, name: string): Routine {
  for (let i = 0; i < n; i++) {
    const ready = (yield call(() => done.take() !== undefined)) as boolean;
    if (!ready) yield wait(done, name, 0);
  }
}

// ---------------------------------------------------------------- responses and logs

/** Writes the response to `node` as the server's runtime does and sends it to the client. */
export function* respond(p: Proc, conn: Conn, node: CallNode): Routine {
  const r = reply(p, node);
  switch (p.runtime) {
    case 'node':
      yield sc(p, 'writev', r.bytes);
      break;
    case 'go':
      yield* chunks(p, 'write', r.bytes, 4096);
      break;
    case 'java':
      yield* chunks(p, 'write', r.bytes, 8192);
      break;
    case 'mongodb':
      yield sc(p, 'sendmsg', r.bytes);
      break;
    case 'mysql':
      yield* chunks(p, 'sendto', r.bytes, 16384);
      break;
    case 'rabbitmq':
      yield sc(p, 'writev', r.bytes);
      break;
    default:
      yield sc(p, 'write', r.bytes);
  }
  yield toClient(p, conn, r);
}

/** The server closes a connection after its response ("Connection: close"): the client reads EOF. */
export function* serverClose(p: Proc, conn: Conn): Routine {
  yield sc(p, 'close', 0);
  yield toClient(p, conn, EOF);
}

/** A log line: go-kit's logging middleware to stderr, console.log / logback to stdout. */
export function* logLine(p: Proc): Routine {
  yield sc(p, 'write', p.runtime === 'go' ? 2 * p.rng.int(50, 70) : p.rng.int(90, 160));
}

// ---------------------------------------------------------------- garbage collection

/** Allocation thresholds (bytes) and per-request allocation of each runtime (general knowledge). */
const HEAP: Readonly<Record<string, { young: number; perRequest: number }>> = {
  go: { young: 4e6, perRequest: 60e3 },
  java: { young: 24e6, perRequest: 350e3 },
  node: { young: 8e6, perRequest: 150e3 },
};

/** Counts a request's allocation and collects when the young generation is full. */
export function* allocate(p: Proc): Routine {
  const heap = HEAP[p.runtime];
  if (heap === undefined) return;
  p.heapBytes += size(p, heap.perRequest);
  if (p.heapBytes < heap.young) return;
  p.heapBytes = 0;
  if (p.runtime === 'go') {
    // background mark workers are goroutines: GOMAXPROCS/4 of them, on whichever Ms are free
    const workers = Math.max(1, Math.floor(p.w.params.hostCpus / 4));
    for (let i = 0; i < workers; i++) yield* spawn(p, new Fiber(goMarkWorker(p)));
  } else if (p.runtime === 'java') {
    // a young collection: the VM thread stops the world; this thread waits at the safepoint
    const pause = Math.round(p.rng.lognormal(4e6, 0.5));
    yield call(() => (p.gc as (pause: number) => void)(pause));
    yield sys('futex', 0, pause + durNs(p.rng, 'futex'));
  } else {
    // V8's scavenge on the loop thread, with parallel tasks on the platform workers
    const pool = p.workers.get('v8') as WorkerPool;
    for (let i = 0; i < 2; i++) {
      yield sc(p, 'futex', 1);
      yield call(() => pool.submit(new Fiber(helperTask(p, 600))));
    }
    yield work(p, 900);
    yield sc(p, 'futex', 0);
  }
}

function* goMarkWorker(p: Proc): Routine {
  yield work(p, 700);
  if (maybe(p, 0.3)) yield sc(p, 'madvise', 0);
  yield sc(p, 'futex', 1);
}

/** A GC helper task on a worker thread: work, then wake the thread waiting for it. */
export function* helperTask(p: Proc, us: number): Routine {
  yield work(p, us);
  yield sc(p, 'futex', 1);
}

/** Makes `f` runnable on the process's scheduler, waking an idle thread with futex if none polls. */
export function* spawn(p: Proc, f: Fiber): Routine {
  const s = p.sched as NonNullable<Proc['sched']>;
  if ((yield call(() => s.poll.waiting === 0 && s.idle.waiting > 0)) as boolean) yield sc(p, 'futex', 1);
  yield call(() => s.ready(f));
}
