/**
 * The workload from outside the cluster: Locust-like users for live captures (concurrency = users,
 * each on its keep-alive connection to a front-end replica, a task mix, wait times), and the
 * one-request-at-a-time driver of isolated captures.
 */
import { LOCUSTFILE_TASK, healthEndpoint, type Endpoint } from './callgraph';
import type { Rng } from './rng';
import { externalRequest, type ExternalConn } from './requests';
import type { Proc, World } from './world';

/** A task mix: trace type → weight, or the load-test locustfile's task run in order. */
export type Mix = Readonly<Record<string, number>> | 'locustfile';

/** Where the requests of a trace type go and what they run. */
export interface Targets {
  endpoints: Readonly<Record<string, Endpoint>>;
  /** Services whose GET /health is traced (the Go services: Sleuth skips /health in Java). */
  healthServices: readonly string[];
}

/** Locust's own time between a response and its next request (Python, requests): median 1.5 ms. */
const LOCUST_OVERHEAD_NS = 1.5e6;

/** The endpoint of a trace type (GET /health: one of the health services, drawn). */
function endpointOf(t: Targets, type: string, rng: Rng): Endpoint {
  if (type === 'GET /health') return healthEndpoint(rng.pick(t.healthServices));
  const ep = t.endpoints[type];
  if (ep === undefined) throw new Error(`no endpoint for trace type "${type}"; known: ${[...Object.keys(t.endpoints), 'GET /health'].join(', ')}`);
  return ep;
}

/**
 * Sends one request of `ep` starting a new trace. Front-end endpoints go over the client's
 * keep-alive connection to `front` (opened on first use); others (GET /health) to a random
 * replica of their service on a new connection that the server closes.
 */
function issue(w: World, rng: Rng, ep: Endpoint, front: Proc, conns: Map<Proc, ExternalConn>, onReply: () => void): number {
  const trace = w.spans.newTrace(ep.traceType);
  const ctx = { trace, parent: -1 };
  if (ep.node.service === 'front-end') {
    conns.set(front, externalRequest(w, rng, { from: null, server: front, node: ep.node, ctx, close: false, ext: conns.get(front) ?? null, onReply }));
  } else {
    externalRequest(w, rng, { from: null, server: rng.pick(w.replicas(ep.node.service)), node: ep.node, ctx, close: true, ext: null, onReply });
  }
  return trace;
}

/**
 * Live load from `users` Locust users between `from` and `until` (ns): each sends a request,
 * waits for its response, waits `waitMs` (uniform) plus Locust's overhead, and goes again. Each
 * user keeps one keep-alive connection, which kube-proxy sent to a front-end replica drawn at
 * random: two users share a replica as often as not.
 */
export function startLive(w: World, rng: Rng, t: Targets, users: number, mix: Mix, waitMs: readonly [number, number], from: number, until: number): void {
  const e = w.engine;
  const fronts = w.replicas('front-end');
  const types = mix === 'locustfile' ? [...LOCUSTFILE_TASK] : Object.keys(mix);
  const weights = mix === 'locustfile' ? [] : types.map((k) => mix[k]);
  for (let u = 0; u < users; u++) {
    const front = rng.pick(fronts);
    const conns = new Map<Proc, ExternalConn>();
    let task = 0;
    const next = (): void => {
      if (e.now >= until) return;
      const type = mix === 'locustfile' ? types[task++ % types.length] : types[rng.weighted(weights)];
      issue(w, rng, endpointOf(t, type, rng), front, conns, () => {
        const think = rng.lognormal(LOCUST_OVERHEAD_NS, 0.4) + rng.uniform(waitMs[0], waitMs[1]) * 1e6;
        e.at(e.now + Math.round(think), next);
      });
    };
    e.at(from + Math.round(rng.uniform(0, 20e6)), next);
  }
}

/**
 * Isolated load: `instances` requests of `type`, one at a time: the next starts `gapMs` (uniform)
 * after the previous trace completed (every span closed, queued messages consumed), on a random
 * front-end replica. `onFinished` gets the time the last trace completed.
 */
export function startIsolated(w: World, rng: Rng, t: Targets, type: string, instances: number, gapMs: readonly [number, number], from: number, onFinished: (at: number) => void): void {
  const e = w.engine;
  const fronts = w.replicas('front-end');
  const conns = new Map<Proc, ExternalConn>();
  let sent = 0;
  const next = (): void => {
    if (sent === instances) {
      onFinished(e.now);
      return;
    }
    sent++;
    const trace = issue(w, rng, endpointOf(t, type, rng), rng.pick(fronts), conns, () => undefined);
    w.spans.whenDone(trace, () => e.at(e.now + Math.round(rng.uniform(gapMs[0], gapMs[1]) * 1e6), next));
  };
  e.at(from, next);
}
