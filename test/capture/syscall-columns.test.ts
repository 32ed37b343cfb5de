/** The compact syscall columns loadCapture collects into, and the order its table is sorted in. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SyscallColumns, sortedOrder } from '../../lib/capture/syscall-columns';

/** A seeded generator (LCG), so every run checks the same cases. */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
}

test('sortedOrder gives the order of a full sort, for sorted, nearly sorted, shuffled and tied keys', () => {
  const rand = random(11);
  const n = 2000;
  const cases: [string, number[]][] = [
    ['empty', []],
    ['sorted', Array.from({ length: n }, (_, i) => i)],
    ['reversed', Array.from({ length: n }, (_, i) => n - i)],
    // a strace file: in order but for calls joined late (2%), which come out up to 50 places late
    ['nearly sorted', Array.from({ length: n }, (_, i) => (rand() < 0.02 ? i - Math.floor(rand() * 50) : i))],
    // an early call with a time far ahead holds back every later one
    ['one outlier first', [1e9, ...Array.from({ length: n }, (_, i) => i)]],
    ['shuffled', Array.from({ length: n }, () => Math.floor(rand() * n))],
    ['all tied', Array.from({ length: n }, () => 5)],
  ];
  for (const [what, keys] of cases) {
    // ties broken by row number, as toTable does, so the order is total and the sort stable
    const compare = (a: number, b: number) => keys[a] - keys[b] || a - b;
    const expected = Array.from(keys, (_, i) => i).sort(compare);
    assert.deepEqual(Array.from(sortedOrder(keys.length, compare)), expected, what);
  }
});

test('toTable: ts_ns from the origin exact across seconds and before the first call; sorted by time, host, tid', () => {
  const cols = new SyscallColumns();
  // b-host is numbered first: the table must order hosts by name, not by number
  const b = cols.hosts.id('b-host');
  const a = cols.hosts.id('a-host');
  const s = cols.services.id('svc');
  const i = cols.instances.id('svc-1');
  const origin = 1795686600; // 27 s before the first call's second: stored times are shifted
  const add = (sec: number, nsec: number, host: number, tid: number, name: string) => cols.add({ sec, nsec }, host, 7, tid, 'app', name, 0, 10, s, i);
  add(1795686627, 999_999_999, a, 8, 'first');
  add(1795686627, 5, a, 9, 'earlier'); // before the first call added, same second
  add(1795686626, 123_456_789, b, 8, 'earliest'); // a second before it
  add(1795686627, 5, b, 8, 'tie b-host');
  add(1795686627, 5, a, 8, 'tie a-host tid 8');
  add(1795686700, 1, b, 8, 'last');
  const { table, syscallNames } = cols.toTable(origin);
  assert.deepEqual(table.objects().map((r) => [(r as { syscall: string }).syscall, (r as { ts_ns: number }).ts_ns, (r as { host: string }).host]), [
    ['earliest', 26_123_456_789, 'b-host'],
    // same time: host by name, then tid
    ['tie a-host tid 8', 27_000_000_005, 'a-host'],
    ['earlier', 27_000_000_005, 'a-host'],
    ['tie b-host', 27_000_000_005, 'b-host'],
    ['first', 27_999_999_999, 'a-host'],
    ['last', 100_000_000_001, 'b-host'],
  ]);
  assert.deepEqual(Array.from(table.array('tid') as ArrayLike<number>), [8, 8, 9, 8, 8, 8]);
  assert.deepEqual(syscallNames, ['earlier', 'earliest', 'first', 'last', 'tie a-host tid 8', 'tie b-host']);
});

test('columns grow past their first block and keep every call', () => {
  const cols = new SyscallColumns();
  const h = cols.hosts.id('h');
  const n = 140_000; // more than two blocks of 65536 calls, the last one partly filled
  for (let k = 0; k < n; k++) cols.add({ sec: 1000 + Math.floor(k / 1000), nsec: (k % 1000) * 1000 }, h, 1, k, '', k % 2 ? 'read' : 'write', k % 3 ? k : null, null, 0, 0);
  const { table } = cols.toTable(1000);
  assert.equal(table.numRows(), n);
  // call 139999: second 1139, 999 µs into it
  assert.equal(table.get('ts_ns', n - 1), 139_000_999_000);
  // calls 65535 and 65536 lie on either side of the first block's end (call 65536: second 1065, 536 µs)
  assert.deepEqual([table.get('tid', 65535), table.get('tid', 65536), table.get('ts_ns', 65536)], [65535, 65536, 65_000_536_000]);
  assert.equal(table.get('tid', n - 1), n - 1);
  assert.deepEqual([table.get('ret', 0), table.get('ret', 1), table.get('ret', 3)], [null, 1, null]);
});
