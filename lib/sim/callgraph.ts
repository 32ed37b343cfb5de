/**
 * Each endpoint's call graph (SOCKSHOP.md: front-end api/*, orders' OrdersController, user
 * api/*), as data: who calls whom, in what order, in parallel or not, with what payload sizes.
 * Which graph a trace type uses and how "services involved" are counted are explicit here and can
 * be changed (endpointsWith, servicesInvolved).
 */
import { serviceSpec } from './topology';

/** Protocol of a call: decides the client's and the server's syscall templates. */
export type Proto = 'http' | 'mongo' | 'mysql' | 'redis' | 'amqp';

/** One call and the work its callee does for it. */
export interface CallNode {
  /** The callee service. */
  service: string;
  proto: Proto;
  /** HTTP method ('' for storage commands). */
  method: string;
  /** HTTP: the route template ("/catalogue/{id}"); storage: the command ("find customers"). */
  route: string;
  /** Request and response payload sizes in bytes (drawn ±30%). */
  req: number;
  resp: number;
  /** What the callee does, in order. */
  steps?: Step[];
  /** Java callers: run the call on a new thread and wait for it (orders' @Async). */
  async?: boolean;
  /** False: no span for this call even if the callee traces (health pings; Sleuth skips /health). */
  traced?: boolean;
  /** Payloads of constant size (the kubelet's probes, health pings): no draw. */
  fixed?: boolean;
  /** AMQP: the service that consumes the message, and its consumer span's name. */
  consumer?: { service: string; operation: string };
}

/** A step of a callee's work: a call, calls in parallel, or a static file read (front-end). */
export type Step = CallNode | { parallel: CallNode[] } | { file: number };

/** A trace type: the root request, sent to `node.service` from outside. */
export interface Endpoint {
  /** The operation of the root span, which is the trace type. */
  traceType: string;
  node: CallNode;
}

const http = (service: string, method: string, route: string, resp: number, steps: Step[] = [], extra: Partial<CallNode> = {}): CallNode =>
  ({ service, proto: 'http', method, route, req: method === 'GET' || method === 'DELETE' ? 180 : 700, resp, steps, ...extra });
const mongo = (service: string, route: string, resp = 450, extra: Partial<CallNode> = {}): CallNode =>
  ({ service, proto: 'mongo', method: '', route, req: 160, resp, ...extra });
const mysql = (route: string, resp: number, extra: Partial<CallNode> = {}): CallNode =>
  ({ service: 'catalogue-db', proto: 'mysql', method: '', route, req: 260, resp, ...extra });

/** express-session with connect-redis: a GET before the handler, a SET before the response. */
const SESSION_GET: CallNode = { service: 'session-db', proto: 'redis', method: '', route: 'GET', req: 70, resp: 260 };
const SESSION_SET: CallNode = { service: 'session-db', proto: 'redis', method: '', route: 'SET', req: 330, resp: 5 };
const api = (steps: Step[]): Step[] => [SESSION_GET, ...steps, SESSION_SET];

const USER_FIND = (coll: string) => mongo('user-db', `find ${coll}`);
const USER_X3 = [USER_FIND('customers'), USER_FIND('addresses'), USER_FIND('cards')];
const customer = (extra: Partial<CallNode> = {}) => http('user', 'GET', '/customers/{id}', 1400, USER_X3, extra);
const CART_ITEMS = (extra: Partial<CallNode> = {}) => http('carts', 'GET', '/carts/{id}/items', 900, [mongo('carts-db', 'find carts')], extra);
const SHIPPING = http('shipping', 'POST', '/shipping', 300, [
  { service: 'rabbitmq', proto: 'amqp', method: '', route: 'publish shipping-task', req: 420, resp: 0, consumer: { service: 'queue-master', operation: 'shipping-task' } },
], { async: true });

/** The checkout: front-end POST /orders and orders' POST /orders (SOCKSHOP.md). */
const CHECKOUT = http('front-end', 'POST', '/orders', 900, api([
  customer(),
  { parallel: [http('user', 'GET', '/customers/{id}/addresses', 900, USER_X3), http('user', 'GET', '/customers/{id}/cards', 700, USER_X3)] },
  http('orders', 'POST', '/orders', 900, [
    { parallel: [
      http('user', 'GET', '/addresses/{id}', 400, [USER_FIND('addresses')], { async: true }),
      customer({ async: true }),
      http('user', 'GET', '/cards/{id}', 350, [USER_FIND('cards')], { async: true }),
      CART_ITEMS({ async: true }),
    ] },
    http('payment', 'POST', '/paymentAuth', 120, [], { async: true }),
    SHIPPING,
    mongo('orders-db', 'insert orders', 120),
  ]),
]));

/** Static pages: express.static before the session middleware, so no redis. */
const page = (route: string, bytes: number): CallNode => http('front-end', 'GET', route, bytes, [{ file: bytes }]);

/** What each service's GET /health does (SOCKSHOP.md); the pings get no span of their own. */
const PING = { traced: false, fixed: true };
const PROBE = { fixed: true, req: 112 };
export const HEALTH: Readonly<Record<string, CallNode>> = {
  catalogue: http('catalogue', 'GET', '/health', 160, [mysql('ping', 11, PING)], PROBE),
  user: http('user', 'GET', '/health', 160, [mongo('user-db', 'ping', 38, PING)], PROBE),
  payment: http('payment', 'GET', '/health', 110, [], PROBE),
  carts: http('carts', 'GET', '/health', 90, [mongo('carts-db', 'buildInfo', 900, PING)], { ...PROBE, traced: false }),
  orders: http('orders', 'GET', '/health', 90, [mongo('orders-db', 'buildInfo', 900, PING)], { ...PROBE, traced: false }),
  shipping: http('shipping', 'GET', '/health', 90, [], { ...PROBE, traced: false }),
  'queue-master': http('queue-master', 'GET', '/health', 90, [], { ...PROBE, traced: false }),
};

const front = (method: string, route: string, resp: number, steps: Step[]): CallNode => http('front-end', method, route, resp, api(steps));

/** The endpoints, by trace type. GET /health's root is on one service; see healthEndpoint. */
export const ENDPOINTS: Readonly<Record<string, Endpoint>> = Object.fromEntries(
  ([
    front('GET', '/catalogue/{id}', 600, [http('catalogue', 'GET', '/catalogue/{id}', 600, [mysql('SELECT sock', 700)])]),
    front('GET', '/catalogue', 6500, [http('catalogue', 'GET', '/catalogue', 6500, [mysql('SELECT sock GROUP BY', 7200)])]),
    front('GET', '/customers', 2400, [http('user', 'GET', '/customers', 2400, [USER_FIND('customers')])]),
    front('GET', '/customers/{id}', 1400, [customer()]),
    front('GET', '/login', 120, [
      http('user', 'GET', '/login', 300, USER_X3),
      http('carts', 'GET', '/carts/{id}/merge', 60, [mongo('carts-db', 'find carts'), mongo('carts-db', 'update carts', 60), mongo('carts-db', 'delete carts', 60)]),
    ]),
    front('GET', '/cart', 900, [CART_ITEMS()]),
    front('POST', '/cart', 60, [
      http('catalogue', 'GET', '/catalogue/{id}', 600, [mysql('SELECT sock', 700)]),
      http('carts', 'POST', '/carts/{id}/items', 200, [mongo('carts-db', 'find carts'), mongo('carts-db', 'update carts', 60)]),
    ]),
    front('DELETE', '/cart', 40, [http('carts', 'DELETE', '/carts/{id}', 40, [mongo('carts-db', 'delete carts', 60)])]),
    front('GET', '/orders', 2600, [http('orders', 'GET', '/orders/search/customerId', 2600, [mongo('orders-db', 'find orders', 2400)])]),
    CHECKOUT,
    page('/', 8600),
    page('/category.html', 11800),
    page('/detail.html', 7400),
    page('/basket.html', 9100),
  ] as CallNode[]).map((node) => [`${node.method} ${node.route}`, { traceType: `${node.method} ${node.route}`, node }]),
);

/** The trace types the paper evaluates (Table 2), plus the checkout. */
export const PAPER_TRACE_TYPES = ['GET /orders', 'GET /catalogue/{id}', 'GET /customers', 'GET /login', 'GET /health', 'POST /orders'] as const;

/** The load-test locustfile's one task, in order (SOCKSHOP.md). */
export const LOCUSTFILE_TASK = ['GET /catalogue', 'GET /', 'GET /login', 'GET /category.html', 'GET /detail.html', 'DELETE /cart', 'POST /cart', 'GET /basket.html', 'POST /orders'] as const;

/** The GET /health endpoint of one service. */
export function healthEndpoint(service: string): Endpoint {
  const node = HEALTH[service];
  if (node === undefined) throw new Error(`service "${service}" has no /health in the simulator; those with one: ${Object.keys(HEALTH).join(', ')}`);
  return { traceType: 'GET /health', node };
}

/**
 * The endpoints with some trace types using another endpoint's graph under their own name, e.g.
 * `{ 'GET /orders': 'POST /orders' }` makes GET /orders traces run the checkout: the graph whose
 * services match the paper's 7 for GET /orders (SOCKSHOP.md).
 */
export function endpointsWith(mapping: Readonly<Record<string, string>>): Record<string, Endpoint> {
  const out: Record<string, Endpoint> = { ...ENDPOINTS };
  for (const [type, graphOf] of Object.entries(mapping)) {
    const src = ENDPOINTS[graphOf];
    if (src === undefined) throw new Error(`endpointsWith: no endpoint "${graphOf}"; known: ${Object.keys(ENDPOINTS).join(', ')}`);
    out[type] = { traceType: type, node: src.node };
  }
  return out;
}

/** Every service a call graph reaches (its processes do work for the request). */
export function servicesReached(node: CallNode): Set<string> {
  const out = new Set<string>([node.service]);
  const visit = (steps: readonly Step[]) => {
    for (const s of steps) {
      if ('parallel' in s) s.parallel.forEach((n) => servicesReached(n).forEach((x) => out.add(x)));
      else if ('service' in s) {
        servicesReached(s).forEach((x) => out.add(x));
        if (s.consumer) out.add(s.consumer.service);
      }
    }
  };
  visit(node.steps ?? []);
  return out;
}

/**
 * "Services involved" in a trace type, by an explicit rule (the paper does not say its own, and
 * its counts fit no single rule over these graphs, see SOCKSHOP.md):
 * - 'app': the front-end and the services with their own code that the request reaches;
 * - 'app+data': those plus the databases behind them (not the session store, not the broker);
 * - 'all': every service the request reaches, the session store and the broker included.
 */
export type CountRule = 'app' | 'app+data' | 'all';

/** The services involved in `endpoint` under `rule`, sorted. */
export function servicesInvolved(endpoint: Endpoint, rule: CountRule): string[] {
  return [...servicesReached(endpoint.node)]
    .filter((s) => rule === 'all' || serviceSpec(s).role !== 'storage' || (rule === 'app+data' && DATA_STORES.includes(s)))
    .sort();
}

/** The databases behind the app services (storage spans 'data' covers these). */
export const DATA_STORES: readonly string[] = ['catalogue-db', 'carts-db', 'orders-db', 'user-db'];
