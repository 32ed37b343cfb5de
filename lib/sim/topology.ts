/**
 * Sock Shop's deployment: the 14 services with their runtimes (SOCKSHOP.md, complete-demo.yaml),
 * their replicas spread over the hosts, pod names, and the per-host pid space from which
 * processes and threads take their ids.
 */
import type { Runtime } from '../capture/types';
import type { Rng } from './rng';

/** Who names a service's spans. */
export type Tracer = 'node' | 'go' | 'java' | 'none';

/** One Sock Shop service as deployed. */
export interface ServiceSpec {
  name: string;
  runtime: Runtime;
  /** The comm (thread name) of the process's unnamed threads: the binary's name. */
  comm: string;
  port: number;
  /** front = the entry, app = a service with its own code, storage = a database or broker. */
  role: 'front' | 'app' | 'storage';
  /** Kubernetes liveness and readiness probes on GET /health every 3 s (general knowledge). */
  probes: boolean;
  /**
   * Span naming: node = the front-end's added instrumentation, go = opentracing + zipkin
   * ("GET /catalogue/{id}"), java = Sleuth ("http:/orders"), none = emits no spans itself.
   */
  tracer: Tracer;
}

/** The 14 services of complete-demo.yaml. */
export const SERVICES: readonly ServiceSpec[] = [
  { name: 'front-end', runtime: 'node', comm: 'node', port: 8079, role: 'front', probes: false, tracer: 'node' },
  { name: 'catalogue', runtime: 'go', comm: 'app', port: 80, role: 'app', probes: true, tracer: 'go' },
  { name: 'user', runtime: 'go', comm: 'user', port: 80, role: 'app', probes: true, tracer: 'go' },
  { name: 'payment', runtime: 'go', comm: 'app', port: 80, role: 'app', probes: true, tracer: 'go' },
  { name: 'carts', runtime: 'java', comm: 'java', port: 80, role: 'app', probes: true, tracer: 'java' },
  { name: 'orders', runtime: 'java', comm: 'java', port: 80, role: 'app', probes: true, tracer: 'java' },
  { name: 'shipping', runtime: 'java', comm: 'java', port: 80, role: 'app', probes: true, tracer: 'java' },
  { name: 'queue-master', runtime: 'java', comm: 'java', port: 80, role: 'app', probes: true, tracer: 'java' },
  { name: 'catalogue-db', runtime: 'mysql', comm: 'mysqld', port: 3306, role: 'storage', probes: false, tracer: 'none' },
  { name: 'carts-db', runtime: 'mongodb', comm: 'mongod', port: 27017, role: 'storage', probes: false, tracer: 'none' },
  { name: 'orders-db', runtime: 'mongodb', comm: 'mongod', port: 27017, role: 'storage', probes: false, tracer: 'none' },
  { name: 'user-db', runtime: 'mongodb', comm: 'mongod', port: 27017, role: 'storage', probes: false, tracer: 'none' },
  { name: 'rabbitmq', runtime: 'rabbitmq', comm: 'beam.smp', port: 5672, role: 'storage', probes: false, tracer: 'none' },
  { name: 'session-db', runtime: 'redis', comm: 'redis-server', port: 6379, role: 'storage', probes: false, tracer: 'none' },
];

/** The spec of a service by name; throws for a name that is not a Sock Shop service. */
export function serviceSpec(name: string): ServiceSpec {
  const spec = SERVICES.find((s) => s.name === name);
  if (spec === undefined) throw new Error(`unknown Sock Shop service "${name}"; known: ${SERVICES.map((s) => s.name).join(', ')}`);
  return spec;
}

/** Where one replica runs: its host and pod name (Jaeger's `hostname` tag, processes.csv `instance`). */
export interface Placement {
  spec: ServiceSpec;
  replica: number;
  host: string;
  instance: string;
}

/**
 * The replicas of every service placed on `hosts` hosts ("node-1" ...): replicas of one service on
 * different hosts where there are enough (as the scheduler's spreading does), the first replica of
 * each service on a random host. Returned in a random start order, which decides the pids.
 */
export function placeServices(rng: Rng, hosts: number, replicas: number): Placement[] {
  const hostNames = hostList(hosts);
  const out: Placement[] = [];
  for (const spec of SERVICES) {
    const first = rng.int(0, hosts - 1);
    const rs = podHash(rng, 10);
    for (let r = 0; r < replicas; r++) {
      out.push({ spec, replica: r, host: hostNames[(first + r) % hosts], instance: `${spec.name}-${rs}-${podHash(rng, 5)}` });
    }
  }
  return rng.shuffle(out);
}

/** The host names of a cluster of `n` nodes. */
export function hostList(n: number): string[] {
  return Array.from({ length: n }, (_, i) => `node-${i + 1}`);
}

// Kubernetes' alphabet for generated name suffixes (no vowels, no look-alikes).
const POD_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

function podHash(rng: Rng, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += POD_ALPHABET[rng.int(0, POD_ALPHABET.length - 1)];
  return s;
}

/**
 * Each host's pid space: processes and threads share it, as Linux tids do. Other processes on the
 * host (kubelet, container runtime, shells) take ids too, so ids jump now and then.
 */
export class PidSpace {
  private readonly next = new Map<string, number>();

  constructor(private readonly rng: Rng) {}

  /** A new id on `host`; `startup` threads of a new process follow their pid without gaps. */
  take(host: string, startup = false): number {
    let id = this.next.get(host) ?? this.rng.int(1500, 30000);
    if (!startup && this.rng.chance(0.3)) id += this.rng.int(1, 60);
    this.next.set(host, id + 1);
    return id;
  }
}
