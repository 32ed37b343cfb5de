import { test } from 'node:test';
import assert from 'node:assert/strict';
import { simulate } from '../../lib/sim';
import { callsByThread, callsOf, spansOf, truthOf, within, type SpanRow } from './helpers';

const byTrace = (spans: SpanRow[]) => {
  const m = new Map<string, SpanRow[]>();
  for (const s of spans) m.set(s.trace_id, [...(m.get(s.trace_id) ?? []), s]);
  return [...m.values()].map((t) => t.sort((a, b) => a.start_ns - b.start_ns));
};

// SOCKSHOP.md: the database commands of each endpoint, in order
const DB_CALLS: Record<string, [string, string[]]> = {
  'GET /customers/{id}': ['user-db', ['find customers', 'find addresses', 'find cards']],
  'GET /login': ['carts-db', ['find carts', 'update carts', 'delete carts']],
  'GET /catalogue/{id}': ['catalogue-db', ['SELECT sock']],
  'GET /customers': ['user-db', ['find customers']],
  'GET /orders': ['orders-db', ['find orders']],
};

for (const [type, [db, commands]] of Object.entries(DB_CALLS)) {
  test(`${type}: ${commands.join(', ')} on ${db}, one after the other`, () => {
    const traces = byTrace(spansOf(simulate({ mode: 'isolated', traceType: type, instances: 3, seed: 91, storageSpans: 'data' })));
    assert.equal(traces.length, 3);
    for (const t of traces) {
      const calls = t.filter((s) => s.service === db);
      // GET /login also runs the user's three finds on user-db; here only db's own commands
      assert.deepEqual(calls.map((s) => s.operation), commands);
      for (let i = 1; i < calls.length; i++) assert.ok(calls[i - 1].end_ns <= calls[i].start_ns, `${calls[i].operation} waits for ${calls[i - 1].operation}`);
    }
  });
}

test('every front-end API request does a session GET on redis before its SET', () => {
  const traces = byTrace(spansOf(simulate({ mode: 'isolated', traceType: 'GET /catalogue/{id}', instances: 4, seed: 92, storageSpans: 'all' })));
  for (const t of traces) {
    const root = t.find((s) => s.parent_id === '') as SpanRow;
    const session = t.filter((s) => s.service === 'session-db');
    assert.deepEqual(session.map((s) => s.operation), ['GET', 'SET']);
    assert.ok(session.every((s) => s.parent_id === root.span_id));
    const call = t.find((s) => s.service === 'front-end' && s.kind === 'client') as SpanRow;
    assert.ok(session[0].end_ns <= call.start_ns && call.end_ns <= session[1].start_ns, 'GET, the downstream call, then SET');
  }
});

test('the front-end opens one new TCP connection per downstream call, after resolving the name on a libuv thread', () => {
  const c = simulate({ mode: 'isolated', traceType: 'POST /orders', instances: 3, seed: 93, syscallFormat: 'strace' });
  const calls = callsOf(c);
  const threads = new Map(c.procs.flatMap((p) => p.threads.map((t) => [`${p.host}/${t.tid}`, t.role] as [string, string])));
  const truth = truthOf(c);
  const byThread = callsByThread(c);
  for (const t of byTrace(spansOf(c))) {
    const root = t.find((s) => s.parent_id === '') as SpanRow;
    const clients = t.filter((s) => s.service === 'front-end' && s.kind === 'client');
    assert.equal(clients.length, 4, 'customer, addresses, cards, orders');
    const fe = within(calls, root.start_ns, root.end_ns).filter((r) => r.host === root.host && r.pid === root.pid);
    assert.equal(fe.filter((r) => r.syscall === 'connect').length, clients.length, 'one connect per client span');
    assert.equal(fe.filter((r) => r.syscall === 'connect').every((r) => threads.get(`${r.host}/${r.tid}`) === 'event loop'), true);
    for (const s of clients) {
      const loop = truth.get(s.span_id) as string;
      assert.equal(threads.get(loop), 'event loop');
      // getaddrinfo: the DNS query's poll and recvfrom on a libuv worker inside the client span
      const dns = fe.filter((r) => r.syscall === 'poll' && r.ts_ns >= s.start_ns && r.ts_ns <= s.end_ns);
      assert.ok(dns.length >= 1, `${s.operation}: no DNS lookup`);
      assert.ok(dns.every((r) => threads.get(`${r.host}/${r.tid}`) === 'libuv'), `${s.operation}: DNS off the libuv pool`);
      assert.equal(within(byThread.get(loop) ?? [], s.start_ns, s.end_ns).filter((r) => r.syscall === 'poll').length, 0);
    }
  }
});

test('mongod and mysqld serve each client connection on a thread of its own', () => {
  const c = simulate({ mode: 'live', durationS: 1, seed: 94 });
  // the clients' connections (lib/sim/README.md): a pool of 2 per client process, plus mgo's
  // pinger (user) and the Java driver's monitor (carts, orders); 2 replicas of each client
  const expected: Record<string, number> = { 'user-db': 2 * (2 + 1), 'carts-db': 2 * (2 + 1), 'orders-db': 2 * (2 + 1), 'catalogue-db': 2 * 2 };
  for (const [db, n] of Object.entries(expected)) {
    const conns = c.procs.filter((p) => p.service === db).flatMap((p) => p.threads.filter((t) => t.role === 'connection'));
    assert.equal(conns.length, n, db);
    assert.equal(new Set(conns.map((t) => t.tid)).size, n);
  }
  // each connection thread is made when its connection is accepted (mongod names them conn1, conn2 ...)
  for (const p of c.procs.filter((x) => x.runtime === 'mongodb')) {
    const names = p.threads.filter((t) => t.role === 'connection').map((t) => t.comm);
    assert.deepEqual(names, names.map((_, i) => `conn${i + 1}`));
  }
});
