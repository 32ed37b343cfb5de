/**
 * Serving a request: the server span, the callee's steps of the call graph (calls in order, in
 * parallel, on @Async threads), the response; and requests from outside the cluster (Locust, the
 * kubelet). The syscalls of each step come from the runtime's templates.
 */
import { DATA_STORES, type CallNode, type Step } from './callgraph';
import { Channel, Fiber, type Routine } from './engine';
import type { Rng } from './rng';
import { closeSpan, openSpan } from './spans';
import {
  allocate, goDbCall, incidental, javaAsync, javaHttpCall, javaMongoCall, javaPublish, join, logLine, newConn,
  nodeFile, nodeHttpCall, nodeRedisCall, respond, spawn, work,
} from './templates';
import type { Conn, Ctx, Msg, Proc, Req, SimParams, World } from './world';

/** Median user-space time (µs) of a request handler, per runtime (general knowledge). */
const HANDLER_US: Readonly<Record<string, number>> = {
  node: 600, go: 80, java: 500, mongodb: 100, mysql: 200, redis: 9, rabbitmq: 40,
};

/** True when `p`'s service emits server spans: its own tracer, or the storage spans knob. */
export function emitsSpans(p: Proc, params: SimParams): boolean {
  if (p.spec.tracer !== 'none') return true;
  if (params.storageSpans === 'all') return true;
  return params.storageSpans === 'data' && DATA_STORES.includes(p.service);
}

/** The server span's name in the callee's tracer's convention. */
export function serverOperation(p: Proc, node: CallNode): string {
  if (p.spec.tracer === 'java') return `http:${node.route}`;
  if (p.spec.tracer === 'none') return node.route;
  return `${node.method} ${node.route}`;
}

/**
 * Serves a request: opens the server span (when traced), reads the rest of the request with
 * `read` when given, runs the node's steps, writes the response, closes the span. An app
 * service's span covers its handler from the moment it has the request until its response is
 * written; a database's span (a stand-in tracer inside the server) also covers reading the
 * command, so it spans read, process and reply.
 */
export function* serve(p: Proc, conn: Conn, req: Req, read: Routine | null = null): Routine {
  const node = req.node;
  const traced = req.ctx.trace >= 0 && node.traced !== false && emitsSpans(p, p.w.params);
  const span = traced ? ((yield* openSpan(p, req.ctx, serverOperation(p, node), 'server')) as number) : -1;
  const ctx = traced ? { trace: req.ctx.trace, parent: span } : req.ctx;
  if (read !== null) yield* read;
  const cpuUs = HANDLER_US[p.runtime] ?? 50;
  yield work(p, cpuUs * 0.6);
  yield* incidental(p);
  for (const step of node.steps ?? []) {
    yield* runStep(p, step, ctx);
    yield* incidental(p);
  }
  if (p.runtime === 'go' || (p.runtime === 'java' && p.rng.chance(0.3))) yield* logLine(p);
  yield* allocate(p);
  yield work(p, cpuUs * 0.4);
  yield* incidental(p);
  yield* respond(p, conn, node);
  if (span >= 0) yield* closeSpan(p, span);
  // morgan logs the request once the response is out
  if (p.runtime === 'node') yield* logLine(p);
}

/** One step of a callee's work. */
export function* runStep(p: Proc, step: Step, ctx: Ctx): Routine {
  if ('file' in step) {
    yield* nodeFile(p, step.file);
    return;
  }
  if ('parallel' in step) {
    yield* parallel(p, step.parallel, ctx);
    return;
  }
  if (step.async === true && p.runtime === 'java') {
    const done = new Channel<number>(p.w.engine);
    yield* javaAsync(p, callNode(p, step, ctx), done);
    yield* join(done, 1, 'futex');
    return;
  }
  yield* callNode(p, step, ctx);
}

/**
 * Calls in parallel: Java (orders' @Async) starts a thread per call and waits on the futures;
 * Node (async.parallel) and Go run one fiber per call on the event loop and park until all end.
 */
function* parallel(p: Proc, nodes: readonly CallNode[], ctx: Ctx): Routine {
  const done = new Channel<number>(p.w.engine);
  if (p.runtime === 'java') {
    for (const n of nodes) yield* javaAsync(p, callNode(p, n, ctx), done);
    yield* join(done, nodes.length, 'futex');
    return;
  }
  for (const n of nodes) {
    const f = new Fiber(callNode(p, n, ctx));
    f.whenDone(() => done.put(1));
    yield* spawn(p, f);
  }
  yield* join(done, nodes.length, 'epoll_wait');
}

/** A call from `p` to `node.service` with the caller runtime's client template. */
export function* callNode(p: Proc, node: CallNode, ctx: Ctx): Routine {
  const rt = p.runtime;
  if (node.proto === 'http' && rt === 'node') yield* nodeHttpCall(p, node, ctx);
  else if (node.proto === 'http' && rt === 'java') yield* javaHttpCall(p, node, ctx);
  else if ((node.proto === 'mongo' || node.proto === 'mysql') && rt === 'go') yield* goDbCall(p, node, ctx);
  else if (node.proto === 'mongo' && rt === 'java') yield* javaMongoCall(p, node, ctx);
  else if (node.proto === 'redis' && rt === 'node') yield* nodeRedisCall(p, node, ctx);
  else if (node.proto === 'amqp' && rt === 'java') yield* javaPublish(p, node, ctx);
  else throw new Error(`no ${node.proto} client template for ${p.service} (${rt})`);
}

/** A connection from outside the cluster and where its replies go. */
export interface ExternalConn {
  conn: Conn;
  onReply: (m: Msg) => void;
}

/** A request from outside the cluster: who sends what to whom, and on which connection. */
export interface ExternalRequest {
  /** The sender's host (the kubelet's), or null for Locust outside the cluster. */
  from: { host: string } | null;
  server: Proc;
  node: CallNode;
  ctx: Ctx;
  /** "Connection: close": the server closes the connection after its response. */
  close: boolean;
  /** A keep-alive connection to reuse, or null for a new one (the server accepts it first). */
  ext: ExternalConn | null;
  /** Gets the response. */
  onReply: (m: Msg) => void;
}

/** Sends request `r` at the current time; returns its connection for reuse. */
export function externalRequest(w: World, rng: Rng, r: ExternalRequest): ExternalConn {
  const e = w.engine;
  const { server, node } = r;
  const oneWay = w.netNs(r.from, server);
  let delay = oneWay;
  let c = r.ext;
  if (c === null) {
    const holder: ExternalConn = { conn: undefined as unknown as Conn, onReply: r.onReply };
    holder.conn = newConn(null, server, { put: (m: Msg) => m.kind === 'reply' && holder.onReply(m) });
    e.at(e.now + oneWay, () => (server.listener as Channel<Conn>).put(holder.conn));
    delay = 3 * oneWay + 20_000;
    c = holder;
  }
  c.onReply = r.onReply;
  const req: Req = { kind: 'req', node, ctx: r.ctx, bytes: node.fixed === true ? node.req : Math.round(node.req * rng.uniform(0.9, 1.1)), close: r.close };
  const conn = c.conn;
  e.at(e.now + delay, () => conn.toServer.put(req));
  return c;
}
