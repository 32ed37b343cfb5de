import { test } from 'node:test';
import assert from 'node:assert/strict';
import { paramOf } from './helpers';
import { ENDPOINTS, endpointsWith, healthEndpoint, servicesInvolved, simulate, type SimCapture, type SimOptions } from '../../lib/sim';

// Expected sets read off SOCKSHOP.md's call graphs (front-end api/*, orders, user).
const APP: Record<string, string[]> = {
  'GET /catalogue/{id}': ['catalogue', 'front-end'],
  'GET /customers': ['front-end', 'user'],
  'GET /login': ['carts', 'front-end', 'user'],
  'GET /orders': ['front-end', 'orders'],
  'POST /orders': ['carts', 'front-end', 'orders', 'payment', 'queue-master', 'shipping', 'user'],
};
const DATA: Record<string, string[]> = {
  'GET /catalogue/{id}': ['catalogue-db'],
  'GET /customers': ['user-db'],
  'GET /login': ['carts-db', 'user-db'],
  'GET /orders': ['orders-db'],
  'POST /orders': ['carts-db', 'orders-db', 'user-db'],
};

test('services involved per trace type, under each counting rule', () => {
  for (const [type, app] of Object.entries(APP)) {
    const ep = ENDPOINTS[type];
    assert.deepEqual(servicesInvolved(ep, 'app'), app, type);
    assert.deepEqual(servicesInvolved(ep, 'app+data'), [...app, ...DATA[type]].sort(), type);
    const all = servicesInvolved(ep, 'all');
    assert.ok(all.includes('session-db'), `${type}: every API request uses the session store`);
    assert.equal(all.includes('rabbitmq'), type === 'POST /orders');
  }
  // the paper's counts: GET /health 1, GET /login 3, and GET /orders 7 when it runs the checkout
  assert.deepEqual(servicesInvolved(healthEndpoint('catalogue'), 'app'), ['catalogue']);
  assert.equal(servicesInvolved(ENDPOINTS['GET /login'], 'app').length, 3);
  const paper = endpointsWith({ 'GET /orders': 'POST /orders' });
  assert.equal(paper['GET /orders'].traceType, 'GET /orders');
  assert.equal(servicesInvolved(paper['GET /orders'], 'app').length, 7);
  assert.throws(() => endpointsWith({ 'GET /x': 'GET /nothing' }), /no endpoint "GET \/nothing"/);
});

type Span = { trace_id: string; span_id: string; parent_id: string; trace_type: string; operation: string; service: string; kind: string; start_ns: number; end_ns: number };
const spansOf = (c: SimCapture) => c.spans.objects() as Span[];

for (const type of Object.keys(APP)) {
  test(`${type}: the services with spans are the graph's (storage spans: none by default, data, all)`, () => {
    // written out from SOCKSHOP.md: the app services; the databases with 'data'; with 'all' also
    // the session store and, for the checkout's shipping message, the broker
    const all = [...APP[type], ...DATA[type], 'session-db', ...(type === 'POST /orders' ? ['rabbitmq'] : [])].sort();
    const cases: [SimOptions['storageSpans'], string[]][] = [[undefined, APP[type]], ['data', [...APP[type], ...DATA[type]].sort()], ['all', all]];
    for (const [storageSpans, expected] of cases) {
      const c = simulate({ mode: 'isolated', traceType: type, instances: 2, seed: 41, storageSpans });
      const byTrace = new Map<string, Set<string>>();
      for (const s of spansOf(c)) byTrace.set(s.trace_id, (byTrace.get(s.trace_id) ?? new Set()).add(s.service));
      assert.equal(byTrace.size, 2);
      for (const services of byTrace.values()) assert.deepEqual([...services].sort(), expected, `${type} with storageSpans ${storageSpans}`);
      assert.equal(paramOf(c, 'storageSpans'), storageSpans ?? 'none');
    }
  });
}

test('trace structure: one root named after the trace type, parents in the trace, the real span names', () => {
  const c = simulate({ mode: 'isolated', traceType: 'POST /orders', instances: 2, seed: 42 });
  const spans = spansOf(c);
  const byId = new Map(spans.map((s) => [s.span_id, s]));
  for (const s of spans) {
    if (s.parent_id === '') assert.equal(s.operation, s.trace_type);
    else assert.equal(byId.get(s.parent_id)?.trace_id, s.trace_id);
    const parent = byId.get(s.parent_id);
    // a callee's server span is the child of its caller's client span (the consumer's parent is shipping's server span)
    if (s.kind === 'server' && parent && !s.service.endsWith('-db')) assert.equal(parent.kind, 'client', `${s.operation}`);
  }
  const ops = new Set(spans.map((s) => `${s.service} ${s.operation}`));
  for (const op of ['front-end POST /orders', 'user GET /customers/{id}', 'orders http:/orders', 'orders http:/paymentAuth', 'payment POST /paymentAuth', 'shipping http:/shipping', 'queue-master shipping-task', 'carts http:/carts/{id}/items']) {
    assert.ok(ops.has(op), `missing ${op}`);
  }
  const consumer = spans.find((s) => s.kind === 'consumer') as Span;
  assert.equal(byId.get(consumer.parent_id)?.operation, 'http:/shipping');
});

test('sequential and parallel steps: login merges the cart after the user answers; the checkout fans out', () => {
  const login = spansOf(simulate({ mode: 'isolated', traceType: 'GET /login', instances: 3, seed: 43 }));
  for (const id of new Set(login.map((s) => s.trace_id))) {
    const t = login.filter((s) => s.trace_id === id && s.kind === 'server');
    const user = t.find((s) => s.service === 'user') as Span;
    const carts = t.find((s) => s.service === 'carts') as Span;
    assert.ok(user.end_ns <= carts.start_ns, 'carts merge starts after the user login returned');
  }
  const checkout = spansOf(simulate({ mode: 'isolated', traceType: 'POST /orders', instances: 1, seed: 44 }));
  const overlap = (a: Span, b: Span) => a.start_ns < b.end_ns && b.start_ns < a.end_ns;
  const fe = checkout.filter((s) => s.service === 'front-end' && /addresses|cards/.test(s.operation));
  assert.equal(fe.length, 2);
  assert.ok(overlap(fe[0], fe[1]), 'front-end gets addresses and cards in parallel');
  const async = checkout.filter((s) => s.service === 'orders' && s.kind === 'client');
  assert.equal(async.length, 6);
  const first4 = async.sort((a, b) => a.start_ns - b.start_ns).slice(0, 4);
  assert.ok(first4.every((a) => first4.every((b) => overlap(a, b))), "orders' four @Async calls run at once");
});
