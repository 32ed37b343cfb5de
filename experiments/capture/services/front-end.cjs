/*
 * The shop's front-end: Node's http server instrumented with OpenTelemetry JS (the SDK and the
 * http instrumentation, W3C traceparent propagation), in the shape of Sock Shop's front-end: every
 * API request reads and writes its session in redis (session-db), then calls the services
 * downstream over a new connection per call (the `request` library without keep-alive), resolving
 * "localhost" each time on a libuv pool thread (getaddrinfo), as Sock Shop's front-end does with
 * service names.
 *
 * Plain CommonJS run by `node` itself: a TypeScript loader (tsx) would add its own thread and an
 * esbuild child process to the traced process.
 *
 * Environment (set by experiments/capture/shop.ts): SHOP_SERVICE, SHOP_INSTANCE, SHOP_HOST,
 * SHOP_PORT, SHOP_SEED, SHOP_PEERS (JSON: service -> ["127.0.0.1:port", ...]),
 * SHOP_MONO_TO_REAL_NS (CLOCK_REALTIME - CLOCK_MONOTONIC in ns, measured by the harness).
 *
 * Spans are kept in memory and handed over as OTLP JSON on GET /__spans (not traced), which the
 * harness calls between phases while no recorder runs. Every span carries thread.id: the event
 * loop's thread, whose tid is the pid (ground truth only; libuv's pool threads do the name
 * lookups and never run JavaScript).
 */
'use strict';
const { createHash } = require('node:crypto');
const { performance } = require('node:perf_hooks');
const api = require('@opentelemetry/api');
const { NodeTracerProvider } = require('@opentelemetry/sdk-trace-node');
const { BasicTracerProvider, SimpleSpanProcessor, InMemorySpanExporter } = require('@opentelemetry/sdk-trace-base');
const { resourceFromAttributes } = require('@opentelemetry/resources');
const { registerInstrumentations } = require('@opentelemetry/instrumentation');
const { HttpInstrumentation } = require('@opentelemetry/instrumentation-http');
const { JsonTraceSerializer } = require('@opentelemetry/otlp-transformer');

const env = process.env;
const SERVICE = env.SHOP_SERVICE;
const INSTANCE = env.SHOP_INSTANCE;
const PEERS = JSON.parse(env.SHOP_PEERS);
const MONO_TO_REAL_NS = BigInt(env.SHOP_MONO_TO_REAL_NS);
const SPANS_PATH = '/__spans';

/** Trace and span ids from SHA-256 of (seed, instance, counter): seeded, unique per replica. */
class HashIdGenerator {
  constructor(seed) {
    this.seed = seed;
    this.n = 0;
  }
  next(hexChars) {
    return createHash('sha256').update(`${this.seed}:${INSTANCE}:${this.n++}`).digest('hex').slice(0, hexChars);
  }
  generateTraceId() {
    return this.next(32);
  }
  generateSpanId() {
    return this.next(16);
  }
}

/*
 * OTel JS 2.x starts a span at Date.now() (whole ms) and ends it at start + a performance.now()
 * duration, so a span sits up to 1 ms early against the kernel's clock. This processor moves the
 * start to the span's own performance.now() reading on CLOCK_MONOTONIC plus the offset the
 * harness measured: the same footing as the eBPF timestamps. The end follows (start + duration).
 */
const hrAtPerfZero = process.hrtime.bigint() - BigInt(Math.round(performance.now() * 1e6));

/*
 * The SDK's private field read above: the SDK version this was written against. Another version may
 * rename or drop it, which would silently give every span a wrong start, so its absence is fatal.
 */
const PINNED_SDK = '@opentelemetry/sdk-trace-base 2.12.1 (its Span lives in @opentelemetry/sdk-trace 2.12.1)';
function performanceStartMs(span) {
  const ms = span._performanceStartTime;
  if (typeof ms !== 'number' || !Number.isFinite(ms)) {
    throw new Error(`front-end: the OpenTelemetry SDK's Span has no numeric private field _performanceStartTime (got ${typeof ms}); `
      + `the span start re-basing (MonotonicStart) was written against ${PINNED_SDK}: pin that version or adapt MonotonicStart`);
  }
  return ms;
}

class MonotonicStart {
  onStart(span) {
    const ns = hrAtPerfZero + BigInt(Math.round(performanceStartMs(span) * 1e6)) + MONO_TO_REAL_NS;
    span.startTime = [Number(ns / 1_000_000_000n), Number(ns % 1_000_000_000n)];
    span.setAttribute('thread.id', process.pid);
  }
  onEnd() {}
  forceFlush() {
    return Promise.resolve();
  }
  shutdown() {
    return Promise.resolve();
  }
}

const exporter = new InMemorySpanExporter();
const provider = new NodeTracerProvider({
  idGenerator: new HashIdGenerator(env.SHOP_SEED),
  resource: resourceFromAttributes({
    'service.name': SERVICE,
    'service.instance.id': INSTANCE,
    'host.name': env.SHOP_HOST,
    'process.pid': process.pid,
  }),
  spanProcessors: [new MonotonicStart(), new SimpleSpanProcessor(exporter)],
});
provider.register();

// Checked once at start-up, on a span of a provider with no processor (nothing is exported), so a
// missing field stops the service before it listens rather than inside the http instrumentation.
const probe = new BasicTracerProvider().getTracer('startup-check').startSpan('startup-check');
performanceStartMs(probe);
probe.end();

/*
 * The route of the outgoing call being made, for its client span's name: set by call() right
 * before http.request, which runs the instrumentation's requestHook synchronously.
 */
let outgoingRoute = null;

registerInstrumentations({
  instrumentations: [
    new HttpInstrumentation({
      ignoreIncomingRequestHook: (req) => req.url === SPANS_PATH,
      requestHook: (span) => {
        // Incoming requests are named by the router below.
        if (outgoingRoute !== null) span.updateName(outgoingRoute);
        outgoingRoute = null;
      },
    }),
  ],
});

// Loaded after the instrumentation so that it patches them.
const http = require('node:http');
const net = require('node:net');

const noKeepAlive = new http.Agent({ keepAlive: false });
const turn = new Map();

/** The next replica of a service (round robin, as kube-proxy spreads connections). */
function peer(service) {
  const list = PEERS[service];
  const i = turn.get(service) ?? 0;
  turn.set(service, i + 1);
  const [host, port] = list[i % list.length].split(':');
  return { host: host === '127.0.0.1' ? 'localhost' : host, port: Number(port) };
}

/** One HTTP call downstream on a new connection, its client span named `route`; resolves with the body text. */
function call(service, method, path, route, body) {
  const { host, port } = peer(service);
  return new Promise((resolve, reject) => {
    outgoingRoute = route;
    const req = http.request({ host, port, family: 4, method, path, agent: noKeepAlive, headers: { 'content-type': 'application/json' } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (text += d));
      res.on('end', () => (res.statusCode < 400 ? resolve(text) : reject(new Error(`${service} ${path}: ${res.statusCode}`))));
    });
    outgoingRoute = null;
    req.on('error', reject);
    req.end(body);
  });
}

/** Redis commands over a new connection, replies read whole (RESP, no client library). */
function redis(service, commands) {
  const { port } = peer(service);
  const wire = commands.map((args) => `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(String(a))}\r\n${a}\r\n`).join('')}`).join('');
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host: '127.0.0.1', port });
    let text = '';
    sock.setEncoding('utf8');
    sock.on('connect', () => sock.write(wire));
    sock.on('data', (d) => {
      text += d;
      if (repliesIn(text) >= commands.length) sock.end();
    });
    sock.on('end', () => resolve(text));
    sock.on('error', reject);
  });
}

/** Count of complete top-level RESP replies in `text` (simple, error, integer and bulk replies). */
function repliesIn(text) {
  let n = 0;
  let i = 0;
  while (i < text.length) {
    const eol = text.indexOf('\r\n', i);
    if (eol < 0) break;
    if (text[i] === '$') {
      const len = Number(text.slice(i + 1, eol));
      const end = len < 0 ? eol + 2 : eol + 2 + len + 2;
      if (end > text.length) break;
      i = end;
    } else i = eol + 2;
    n++;
  }
  return n;
}

/** Sock Shop's session handling: read the session, then write it back with an expiry. */
function session(id) {
  return redis('session-db', [['GET', `session:${id}`], ['SET', `session:${id}`, `{"customer":"${id}"}`, 'EX', '3600']]);
}

const routes = [
  ['GET', /^\/catalogue\/(\w+)$/, 'GET /catalogue/{id}', async (m) => {
    await session(m[1]);
    return call('catalogue', 'GET', `/catalogue/${m[1]}`, 'GET /catalogue/{id}');
  }],
  ['GET', /^\/customers$/, 'GET /customers', async () => {
    await session('c1');
    return call('user', 'GET', '/customers', 'GET /customers');
  }],
  ['GET', /^\/login$/, 'GET /login', async () => {
    await session('c1');
    const user = await call('user', 'GET', '/login', 'GET /login');
    await call('carts', 'GET', '/carts/c1/merge?sessionId=s1', 'GET /carts/{id}/merge');
    return user;
  }],
  ['GET', /^\/orders$/, 'GET /orders', async () => {
    await session('c1');
    return call('orders', 'GET', '/orders/search/customerId?custId=c1', 'GET /orders/search/customerId');
  }],
  ['POST', /^\/orders$/, 'POST /orders', async () => {
    await session('c1');
    await call('user', 'GET', '/customers/c1', 'GET /customers/{id}');
    await Promise.all([call('user', 'GET', '/addresses', 'GET /addresses'), call('user', 'GET', '/cards', 'GET /cards')]);
    return call('orders', 'POST', '/orders', 'POST /orders', '{"customer":"c1","address":"a1","card":"k1","items":"c1"}');
  }],
];

const server = http.createServer((req, res) => {
  if (req.url === SPANS_PATH) {
    const body = Buffer.from(JsonTraceSerializer.serializeRequest(exporter.getFinishedSpans()));
    exporter.reset();
    res.writeHead(200, { 'content-type': 'application/json' }).end(body);
    return;
  }
  const path = req.url.split('?')[0];
  for (const [method, pattern, name, handle] of routes) {
    const m = req.method === method ? pattern.exec(path) : null;
    if (!m) continue;
    api.trace.getActiveSpan()?.updateName(name);
    req.resume();
    handle(m).then(
      (body) => res.writeHead(200, { 'content-type': 'application/json' }).end(body),
      (err) => res.writeHead(502, { 'content-type': 'text/plain' }).end(String(err.message)),
    );
    return;
  }
  res.writeHead(404).end();
});
server.listen(Number(env.SHOP_PORT), '127.0.0.1');
process.on('SIGTERM', () => server.close(() => process.exit(0)));
