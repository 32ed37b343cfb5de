/**
 * The load generator, in the manner of Locust: users that each keep one keep-alive connection to
 * a front-end replica (drawn at random, as kube-proxy would) and run tasks back to back. Health
 * checks go straight to a replica of catalogue, user or payment, like the kubelet's probes (no
 * traceparent: the service starts the trace). Every draw is seeded.
 */
import { Agent, request } from 'node:http';
import { Rng } from '../../lib/sim/rng';

/** One kind of request: its trace type (the root span's name) and where it goes. */
export interface Task {
  traceType: string;
  method: 'GET' | 'POST';
  path: string;
  /** The services whose replicas may receive it directly. */
  targets: readonly string[];
}

/** The shop's requests, the front-end's endpoints mirroring Sock Shop's. */
export const TASKS: readonly Task[] = [
  { traceType: 'GET /catalogue/{id}', method: 'GET', path: '/catalogue/{id}', targets: ['front-end'] },
  { traceType: 'GET /customers', method: 'GET', path: '/customers', targets: ['front-end'] },
  { traceType: 'GET /login', method: 'GET', path: '/login', targets: ['front-end'] },
  { traceType: 'GET /orders', method: 'GET', path: '/orders', targets: ['front-end'] },
  { traceType: 'POST /orders', method: 'POST', path: '/orders', targets: ['front-end'] },
  // Every health service names this root span "GET /health" (the paper's trace type).
  { traceType: 'GET /health', method: 'GET', path: '/health', targets: ['catalogue', 'user', 'payment'] },
];

/** Ports of the replicas of each service. */
export type Replicas = ReadonlyMap<string, readonly number[]>;

/**
 * How long one request may take, from sending to the end of the response, before it is abandoned
 * (its connection destroyed) and counted as an error and a timeout: a hung service must not hang
 * the capture. The shop answers in milliseconds, so 10 s only catches a service that is stuck.
 */
export const REQUEST_TIMEOUT_MS = 10_000;

/** What a load run did. */
export interface LoadStats {
  requests: number;
  /** Requests that failed, answered >= 400 or timed out, with the first few messages. */
  errors: number;
  /** The errors that were timeouts (REQUEST_TIMEOUT_MS or the run's timeoutMs). */
  timeouts: number;
  firstErrors: string[];
  byType: Record<string, number>;
  seconds: number;
}

/** One user: a connection per target replica it talks to, kept alive across its tasks. */
class User {
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 1 });
  private readonly ports = new Map<string, number>();

  constructor(private readonly rng: Rng, private readonly replicas: Replicas, private readonly timeoutMs: number) {}

  /** Runs one task; resolves with null when it succeeded, else what went wrong. */
  async run(task: Task): Promise<Outcome | null> {
    const service = this.rng.pick(task.targets);
    // The front-end replica is drawn once per user (its connection); probes pick a replica each time.
    let port = service === 'front-end' ? this.ports.get(service) : undefined;
    if (port === undefined) {
      port = this.rng.pick(this.replicas.get(service) ?? []);
      if (service === 'front-end') this.ports.set(service, port);
    }
    const path = task.path.replace('{id}', String(this.rng.int(1, 9)));
    const where = `${task.traceType} on ${service}:${port}`;
    return new Promise((resolve) => {
      let settled = false;
      const settle = (outcome: Outcome | null) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(outcome);
      };
      const req = request({ host: '127.0.0.1', port, method: task.method, path, agent: this.agent }, (res) => {
        res.resume();
        res.on('end', () => settle(res.statusCode! < 400 ? null : { message: `${where}: HTTP ${res.statusCode}`, timeout: false }));
        res.on('error', (e) => settle({ message: `${where}: ${e.message}`, timeout: false }));
      });
      // A whole-request deadline, not a socket idle timeout: a service that trickles bytes is stuck too.
      const timer = setTimeout(() => {
        settle({ message: `${where}: no complete response after ${this.timeoutMs} ms`, timeout: true });
        req.destroy();
      }, this.timeoutMs);
      req.on('error', (e) => settle({ message: `${where}: ${e.message}`, timeout: false }));
      req.end();
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

/** Why a request failed, and whether it was by the timeout. */
interface Outcome {
  message: string;
  timeout: boolean;
}

function newStats(): LoadStats {
  return { requests: 0, errors: 0, timeouts: 0, firstErrors: [], byType: {}, seconds: 0 };
}

function count(stats: LoadStats, task: Task, error: Outcome | null): void {
  stats.requests++;
  stats.byType[task.traceType] = (stats.byType[task.traceType] ?? 0) + 1;
  if (error !== null) {
    stats.errors++;
    if (error.timeout) stats.timeouts++;
    if (stats.firstErrors.length < 5) stats.firstErrors.push(error.message);
  }
}

/**
 * The isolated phase: `perType` requests of each task, one at a time in a seeded shuffled order,
 * the next `gapMs` (drawn in the range) after the previous one completed, so each trace's work
 * is alone on the machine. Each request has `timeoutMs` (default REQUEST_TIMEOUT_MS).
 */
export async function runIsolated(replicas: Replicas, opts: { perType: number; seed: number; gapMs: [number, number]; tasks?: readonly Task[]; timeoutMs?: number }): Promise<LoadStats> {
  const rng = new Rng(opts.seed).fork('isolated');
  const tasks = (opts.tasks ?? TASKS).flatMap((t) => Array.from({ length: opts.perType }, () => t));
  for (let i = tasks.length - 1; i > 0; i--) {
    const j = rng.int(0, i);
    [tasks[i], tasks[j]] = [tasks[j], tasks[i]];
  }
  const stats = newStats();
  const started = Date.now();
  const user = new User(rng.fork('user'), replicas, opts.timeoutMs ?? REQUEST_TIMEOUT_MS);
  try {
    for (const task of tasks) {
      count(stats, task, await user.run(task));
      await sleep(rng.uniform(opts.gapMs[0], opts.gapMs[1]));
    }
  } finally {
    user.close();
  }
  stats.seconds = (Date.now() - started) / 1000;
  return stats;
}

/**
 * The live phase: `concurrency` users running `requests` tasks back to back without waiting. The
 * tasks are drawn uniformly (seeded) up front and each user takes the next one when it is free, so
 * the mix is the same on every run; which user serves which task depends on timing, as with Locust.
 * Each request has `timeoutMs` (default REQUEST_TIMEOUT_MS).
 */
export async function runLive(replicas: Replicas, opts: { concurrency: number; requests: number; seed: number; tasks?: readonly Task[]; timeoutMs?: number }): Promise<LoadStats> {
  const rng = new Rng(opts.seed).fork('live');
  const draw = rng.fork('tasks');
  const queue = Array.from({ length: opts.requests }, () => draw.pick(opts.tasks ?? TASKS));
  const stats = newStats();
  const started = Date.now();
  const users = Array.from({ length: opts.concurrency }, (_, i) => new User(rng.fork(`user-${i}`), replicas, opts.timeoutMs ?? REQUEST_TIMEOUT_MS));
  try {
    await Promise.all(users.map(async (user) => {
      for (let task = queue.shift(); task !== undefined; task = queue.shift()) count(stats, task, await user.run(task));
    }));
  } finally {
    for (const u of users) u.close();
  }
  stats.seconds = (Date.now() - started) / 1000;
  return stats;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
