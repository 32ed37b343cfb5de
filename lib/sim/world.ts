/**
 * The state one simulation shares: the engine, the processes with their threads and runtime
 * structures, connections between them, the span log and the options. Messages on connections
 * are requests (a call-graph node and its trace context), responses, and end-of-stream.
 */
import type { Runtime } from '../capture/types';
import type { CallNode } from './callgraph';
import { SimThread, type Channel, type Engine, type ProcessRef, type Routine, type Sink, type Stream } from './engine';
import type { Scheduler, WorkerPool } from './pools';
import type { Rng } from './rng';
import type { SpanLog } from './spans';
import type { PidSpace, ServiceSpec } from './topology';

/** Which storage services emit server spans (a stand-in for a database tracer; none by default in Sock Shop). */
export type StorageSpans = 'none' | 'data' | 'all';

/** The knobs a simulation runs with (simulate.ts resolves them from SimOptions). */
export interface SimParams {
  hostCpus: number;
  /** Multiplies the chance of optional syscalls (EAGAIN retries, spurious wake-ups, GC): 0 = none. */
  noise: number;
  storageSpans: StorageSpans;
}

/** A trace context: the trace (-1: not traced) and the span the next span is a child of (-1: root). */
export interface Ctx {
  trace: number;
  parent: number;
}

/** The context of untraced work. */
export const UNTRACED: Ctx = { trace: -1, parent: -1 };

/** A request on a connection. `close`: the client sent "Connection: close". */
export interface Req {
  kind: 'req';
  node: CallNode;
  ctx: Ctx;
  bytes: number;
  close: boolean;
}

/** A response, a broker delivery or a heartbeat on a connection. */
export interface Reply {
  kind: 'reply';
  bytes: number;
  /** AMQP deliveries: the message's trace context and consumer span name. */
  ctx?: Ctx;
  operation?: string;
}

/** The peer closed the connection. */
export interface Eof {
  kind: 'eof';
}

/** What travels on a connection. */
export type Msg = Req | Reply | Eof;

/** The end-of-stream message. */
export const EOF: Eof = { kind: 'eof' };

/** A TCP connection. `client` null: from outside the cluster (Locust, the kubelet). */
export interface Conn {
  server: Proc;
  client: Proc | null;
  /** Where the client's writes arrive (set by the server's runtime when it accepts). */
  toServer: Sink<Msg>;
  /** Where the server's writes arrive. */
  toClient: Sink<Msg>;
  /** The two directions as ordered streams (client → server, server → client). */
  up: Stream;
  down: Stream;
  /** When the client last used it (keep-alive caches drop stale connections). */
  lastUsed: number;
}

/** A client's pool of connections to one storage service (LIFO: the last returned is reused first). */
export interface ConnPool {
  free: Conn[];
  waiters: Channel<Conn>;
}

/** One simulated process and its runtime's structures. */
export interface Proc extends ProcessRef {
  w: World;
  spec: ServiceSpec;
  runtime: Runtime;
  replica: number;
  rng: Rng;
  /** Every thread it had, in creation order. */
  threads: SimThread[];
  /** Event-driven runtimes: the run queue and poller. */
  sched: Scheduler | null;
  /** HTTP servers: new connections arrive here (Go and Node's listener fiber, Tomcat's acceptor). */
  listener: Channel<Conn> | null;
  /** The server runtime's entry for the data of a new connection. */
  inbox: (conn: Conn) => Sink<Msg>;
  /**
   * Worker pools by name: 'exec' (Tomcat), 'uv' (libuv), 'v8' (V8's platform workers),
   * 'consumer' (the AMQP client's consumer work pool).
   */
  workers: Map<string, WorkerPool>;
  /** Tomcat: the poller's channel. */
  poller: Channel<PollerMsg> | null;
  /** Client pools per storage service, and Java's HTTP keep-alive cache per service. */
  dbPools: Map<string, ConnPool>;
  keepAlive: Map<string, Conn[]>;
  /** AMQP clients: the connection to the broker; queue-master: the listener's queue. */
  amqp: Conn | null;
  deliveries: Channel<Reply> | null;
  /** The broker: its consumers' connections, served in turn. */
  consumers: Conn[];
  /** Bytes allocated since the last garbage collection; Java: starts a collection of `pause` ns. */
  heapBytes: number;
  gc: ((pause: number) => void) | null;
  /** mongod: writes since the journal was last flushed. */
  dirty: boolean;
  /** Spans finished and not yet sent by the tracer's reporter. */
  unreported: number;
  /** The lowest free file descriptor, which a new socket or file mostly gets. */
  fdBase: number;
}

/** What Tomcat's poller is told: a socket to (re)register, or data on one. */
export type PollerMsg = { kind: 'reg'; conn: Conn } | { kind: 'data'; conn: Conn; msg: Msg };

/** The state of one simulation. */
export interface World {
  engine: Engine;
  params: SimParams;
  spans: SpanLog;
  procs: Proc[];
  pids: PidSpace;
  /** The processes of a service, by replica. */
  replicas(service: string): Proc[];
  /** One-way network delay between two hosts' processes (null: outside the cluster). */
  netNs(a: { host: string } | null, b: { host: string } | null): number;
}

/**
 * Adds a thread to `p` with the next id of its host (`startup`: right after the process's last
 * one, as threads made at start-up are); `tid` given for the main thread (its pid). Comm is cut
 * to 15 characters, as the kernel does.
 */
export function addThread(p: Proc, comm: string, role: string, mode: 'loop' | 'block', main: Routine | null, startup = false, tid?: number): SimThread {
  const th = new SimThread(p.w.engine, p, tid ?? p.w.pids.take(p.host, startup), comm.slice(0, 15), role, mode, main);
  p.threads.push(th);
  return th;
}
