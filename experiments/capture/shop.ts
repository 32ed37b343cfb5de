/**
 * The shop: a small polyglot store in Sock Shop's shape, run on loopback without a container
 * engine. Each application service runs as `replicas` processes on their own ports; each database
 * is one redis-server.
 *
 *   front-end  Node + OpenTelemetry JS   services/front-end.cjs        -> session-db, catalogue, user, carts, orders
 *   catalogue  Java (JDK HttpServer)     services/ShopService.java     -> catalogue-db
 *   carts      Java                                                    -> carts-db
 *   orders     Java                                                    -> user, carts, payment, orders-db
 *   user       Python (ThreadingHTTPServer) services/shop_service.py   -> user-db
 *   payment    Python
 *   *-db       redis-server (Debian)
 */
import { execFile } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { createServer, connect, type Server } from 'node:net';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import type { Runtime } from '../../lib/capture/index';
import type { Processes, Started } from './processes';

const run = promisify(execFile);

/** Where the services' sources are. */
export const SERVICES_DIR = resolve(__dirname, 'services');
/** Debian's Python, as the issue asks (not a pyenv or venv one). */
export const PYTHON = '/usr/bin/python3';

/** One service of the shop. */
export interface ServiceSpec {
  service: string;
  runtime: Runtime;
  replicas: number;
}

/** The shop's services (callees before callers, the order of processes.csv). */
export function shopServices(replicas: number): ServiceSpec[] {
  const db = (service: string): ServiceSpec => ({ service, runtime: 'redis', replicas: 1 });
  const app = (service: string, runtime: Runtime): ServiceSpec => ({ service, runtime, replicas });
  return [
    db('session-db'), db('catalogue-db'), db('user-db'), db('carts-db'), db('orders-db'),
    app('payment', 'python'), app('user', 'python'),
    app('catalogue', 'java'), app('carts', 'java'), app('orders', 'java'),
    app('front-end', 'node'),
  ];
}

/** One running process of the shop. */
export interface Instance {
  service: string;
  /** The replica's name ("catalogue-2"), reported by its tracer as service.instance.id. */
  instance: string;
  runtime: Runtime;
  port: number;
  pid: number;
  process: Started;
}

/** What starting the shop needs. */
export interface ShopOptions {
  replicas: number;
  /** The host name written in spans, processes.csv and the manifest. */
  host: string;
  seed: number;
  /** Scratch folder: compiled Java classes, logs, redis's working directory. */
  work: string;
  /** CLOCK_REALTIME - CLOCK_MONOTONIC (ns), for the front-end's span clock. */
  monoToRealNs: bigint;
  /** Java worker pool size (Tomcat's default minimum of spare threads is 10). */
  javaWorkers?: number;
}

/** Compiles ShopService.java into `work`/classes; returns the class path. */
export async function buildJava(work: string): Promise<string> {
  const classes = join(work, 'classes');
  await mkdir(classes, { recursive: true });
  await run('javac', ['-d', classes, join(SERVICES_DIR, 'ShopService.java')]);
  return classes;
}

/**
 * Starts every service (all replicas) and waits until each accepts connections. Processes are
 * registered in `procs`, so the caller's stopAll ends them whatever happens here.
 */
export async function startShop(procs: Processes, opts: ShopOptions, classes: string): Promise<Instance[]> {
  const specs = shopServices(opts.replicas);
  const free = await freePorts(specs.reduce((n, s) => n + s.replicas, 0));
  const ports = new Map<string, number[]>();
  for (const s of specs) ports.set(s.service, free.splice(0, s.replicas));
  const peers = JSON.stringify(Object.fromEntries([...ports].map(([s, list]) => [s, list.map((p) => `127.0.0.1:${p}`)])));
  // All at once: a service connects to its peers only when a request comes.
  const started = specs.flatMap((spec) => ports.get(spec.service)!.map(async (port, i): Promise<Instance> => {
    const instance = spec.replicas === 1 ? spec.service : `${spec.service}-${i + 1}`;
    const env = {
      SHOP_SERVICE: spec.service, SHOP_INSTANCE: instance, SHOP_HOST: opts.host, SHOP_PORT: String(port),
      SHOP_SEED: String(opts.seed), SHOP_PEERS: peers, SHOP_MONO_TO_REAL_NS: opts.monoToRealNs.toString(),
      SHOP_WORKERS: String(opts.javaWorkers ?? 10),
    };
    const [command, args] = commandOf(spec.runtime, port, classes, join(opts.work, instance));
    if (spec.runtime === 'redis') await mkdir(join(opts.work, instance), { recursive: true });
    const process = await procs.start(instance, command, args, { env, log: join(opts.work, `${instance}.log`) });
    await waitForPort(port, instance, process, 30_000);
    return { service: spec.service, instance, runtime: spec.runtime, port, pid: process.pid, process };
  }));
  return Promise.all(started);
}

/** The command line of one process of a runtime. */
function commandOf(runtime: Runtime, port: number, classes: string, dir: string): [string, string[]] {
  switch (runtime) {
    case 'redis':
      // No persistence, no log file: the database's own idle routine (serverCron at 10 Hz) only.
      return ['redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--logfile', '', '--loglevel', 'warning']];
    case 'java':
      // A small heap and serial GC keep the JVMs' helper threads few on two cores. Without
      // -UseCodeCacheFlushing, JDK 17's sweeper flushes the methods the quiet phases left cold and
      // the JIT recompiles them in a burst when the live load starts.
      return ['java', ['-Xmx64m', '-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1', '-XX:CICompilerCount=1', '-XX:-UseCodeCacheFlushing', '-cp', classes, 'ShopService']];
    case 'python':
      return [PYTHON, [join(SERVICES_DIR, 'shop_service.py')]];
    case 'node':
      return [process.execPath, [join(SERVICES_DIR, 'front-end.cjs')]];
    default:
      throw new Error(`no command for runtime ${runtime}`);
  }
}

/**
 * `n` distinct ports free on 127.0.0.1 now: all held open until all are chosen (a port released
 * at once can be handed out again), then released for the services to bind.
 */
async function freePorts(n: number): Promise<number[]> {
  const servers: Server[] = [];
  try {
    for (let i = 0; i < n; i++) {
      const srv = createServer();
      servers.push(srv);
      await new Promise<void>((resolve, reject) => srv.once('error', reject).listen(0, '127.0.0.1', resolve));
    }
    return servers.map((srv) => (srv.address() as { port: number }).port);
  } finally {
    await Promise.all(servers.map((srv) => new Promise((resolve) => srv.close(resolve))));
  }
}

/** Waits until 127.0.0.1:port accepts a connection; fails early if the process exits. */
async function waitForPort(port: number, name: string, p: Started, timeoutMs: number): Promise<void> {
  let exited: string | null = null;
  void p.exited.then(({ code, signal }) => (exited = `exited with ${signal ?? code}`));
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (exited) throw new Error(`${name} ${exited} before it listened on port ${port} (see its log)`);
    const ok = await new Promise<boolean>((resolve) => {
      const sock = connect({ host: '127.0.0.1', port }, () => {
        sock.destroy();
        resolve(true);
      });
      sock.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${name} did not listen on port ${port} within ${timeoutMs / 1000} s (see its log)`);
}

/** One service instance's spans since the last call, as the OTLP JSON document it returned. */
export async function fetchSpans(i: Instance): Promise<{ resourceSpans: unknown[] }> {
  const res = await fetch(`http://127.0.0.1:${i.port}/__spans`);
  if (!res.ok) throw new Error(`${i.instance}: GET /__spans answered ${res.status}`);
  return (await res.json()) as { resourceSpans: unknown[] };
}
