import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TupleIndex, buildWindows, scatterScores, scoringWindows } from '../../lib/seq/windows';
import type { WindowSet } from '../../lib/seq/windows';

/** The pairs of a window set as "w0,w1,...>next" strings with their counts. */
function pairs(ws: WindowSet): Map<string, number> {
  const m = new Map<string, number>();
  for (let r = 0; r < ws.unique; r++) {
    const key = `${Array.from(ws.windows.subarray(r * ws.n, (r + 1) * ws.n)).join(',')}>${ws.next[r]}`;
    assert.ok(!m.has(key), `pair ${key} appears twice`);
    m.set(key, ws.counts[r]);
  }
  return m;
}

/** A seeded stream of small ids, so that windows repeat. */
function randomSeq(length: number, vocab: number, seed: number): Int32Array {
  let s = seed;
  return Int32Array.from({ length }, () => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return (s >>> 16) % vocab;
  });
}

test('counts sum to the raw windows and match a naive count of every window', () => {
  const n = 3;
  const threads = [randomSeq(500, 3, 1), randomSeq(2, 3, 2), randomSeq(300, 3, 3), new Int32Array(0)];
  const ws = buildWindows(threads, n);
  // A thread of length L has L - n windows (none if L <= n): 497 + 0 + 297 + 0.
  assert.equal(ws.total, 794);
  assert.equal(ws.counts.reduce((a, b) => a + b, 0), 794);
  const naive = new Map<string, number>();
  for (const t of threads) {
    for (let i = n; i < t.length; i++) {
      const key = `${Array.from(t.subarray(i - n, i)).join(',')}>${t[i]}`;
      naive.set(key, (naive.get(key) ?? 0) + 1);
    }
  }
  assert.deepEqual(pairs(ws), naive);
  assert.equal(ws.unique, naive.size);
  assert.ok(ws.unique <= 81, 'at most 3^4 distinct (window, next) pairs over 3 ids');
  assert.equal(ws.ratio, 794 / ws.unique);
});

test('windows never cross from one thread into the next', () => {
  const ws = buildWindows([Int32Array.from([1, 2, 3]), Int32Array.from([4, 5, 6])], 2);
  assert.deepEqual(pairs(ws), new Map([['1,2>3', 1], ['4,5>6', 1]]));
  assert.equal(ws.total, 2);
});

test('a repeated cycle A B C D dedups to its 4 phases, with counts worked out by hand', () => {
  // 25 cycles of 1 2 3 4 = 100 tokens; n = 3 gives 97 windows (positions 3..99).
  // Position i predicts token (i mod 4) + 1: i = 3, 7, ..., 99 (25 of them) predict 4;
  // i = 4..96, 5..97 and 6..98 by 4 (24 each) predict 1, 2 and 3.
  const seq = Int32Array.from({ length: 100 }, (_, i) => (i % 4) + 1);
  const ws = buildWindows([seq], 3);
  assert.equal(ws.total, 97);
  assert.equal(ws.unique, 4);
  assert.deepEqual(pairs(ws), new Map([['1,2,3>4', 25], ['2,3,4>1', 24], ['3,4,1>2', 24], ['4,1,2>3', 24]]));
  assert.equal(ws.ratio, 97 / 4);
});

test('a constant stream is one pair whatever its length', () => {
  const ws = buildWindows([new Int32Array(1000).fill(7)], 10);
  assert.equal(ws.unique, 1);
  assert.equal(ws.counts[0], 990);
  assert.deepEqual(Array.from(ws.windows), new Array(10).fill(7));
});

test('no windows: empty set, ratio 1', () => {
  const ws = buildWindows([Int32Array.from([1, 2])], 2);
  assert.equal(ws.unique, 0);
  assert.equal(ws.total, 0);
  assert.equal(ws.ratio, 1);
  assert.throws(() => buildWindows([], 0), /positive integer/);
});

test('scoring: every position points to the row of its own window, shared across sequences', () => {
  const n = 2;
  const seqs = [randomSeq(200, 3, 5), Int32Array.from([9, 8]), randomSeq(150, 3, 6)];
  const sw = scoringWindows(seqs, n);
  assert.equal(sw.total, 198 + 0 + 148);
  assert.equal(sw.unique, pairs(sw).size);
  seqs.forEach((seq, s) => {
    const rows = sw.rows[s];
    assert.equal(rows.length, seq.length);
    for (let i = 0; i < seq.length; i++) {
      if (i < n) {
        assert.equal(rows[i], -1);
        continue;
      }
      const r = rows[i];
      assert.deepEqual(Array.from(sw.windows.subarray(r * n, r * n + n)), Array.from(seq.subarray(i - n, i)));
      assert.equal(sw.next[r], seq[i]);
    }
  });
  // A score that depends on a row's content: scattered back, position i must get the score of its
  // own window and next token; positions without a window get NaN.
  const scores = Float32Array.from({ length: sw.unique }, (_, r) => sw.next[r] * 100 + sw.windows[r * n] * 10 + sw.windows[r * n + 1]);
  seqs.forEach((seq, s) => {
    const out = scatterScores(sw.rows[s], scores);
    for (let i = 0; i < seq.length; i++) {
      if (i < n) assert.ok(Number.isNaN(out[i]));
      else assert.equal(out[i], seq[i] * 100 + seq[i - 2] * 10 + seq[i - 1]);
    }
  });
});

test('TupleIndex keeps rows and counts through growth and rehashing', () => {
  const index = new TupleIndex(2, 4);
  const src = Int32Array.from({ length: 2 * 5000 }, (_, k) => (k % 2 === 0 ? k >> 1 : -(k >> 1)));
  for (let r = 0; r < 5000; r++) assert.equal(index.add(src, 2 * r), r);
  for (let r = 4999; r >= 0; r--) assert.equal(index.add(src, 2 * r, 2), r);
  assert.equal(index.size, 5000);
  assert.deepEqual(index.tuples(), src);
  assert.ok(index.tupleCounts().every((c) => c === 3));
});
