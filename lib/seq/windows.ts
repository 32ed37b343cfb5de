/**
 * Windows: the model's inputs. A window is n consecutive token ids of one thread, labelled with the
 * token that follows it (the paper's n-grams labelled with the (n+1)-th syscall). Idle streams repeat
 * the same few routines, so identical (window, next) pairs are most of the data: they are stored once
 * with a count, training weights each unique pair by its count, and scoring runs each unique pair once
 * and scatters the score back to every position that has it.
 */

/** Rows of (window, next) pairs: row i is `windows[i*n .. i*n+n)` followed by `next[i]`. */
export interface Windows {
  n: number;
  windows: Int32Array;
  next: Int32Array;
}

/** Unique (window, next) pairs, each with the number of raw windows it stands for. */
export interface WindowSet extends Windows {
  counts: Int32Array;
  /** Raw windows (the sum of counts). */
  total: number;
  /** Unique pairs (rows). */
  unique: number;
  /** total / unique: raw windows per unique pair, the work deduplication saves (1 when empty). */
  ratio: number;
}

/**
 * Unique pairs of some sequences plus, per sequence and position, the row holding that position's
 * window. Position i (i >= n) is scored by row `rows[s][i]`: the probability of token i after tokens
 * i-n..i-1. The first n positions of a sequence have no window: their row is -1 and
 * {@link scatterScores} gives them NaN, meaning "no score": they are neither signal syscalls nor part
 * of a likelihood mean (the stitcher excludes them).
 */
export interface ScoringWindows extends WindowSet {
  rows: Int32Array[];
}

/**
 * A hash set of fixed-width integer tuples with a count each, in flat typed arrays (no object per
 * tuple, so millions of windows stay cheap). Rows are numbered in order of first appearance.
 */
export class TupleIndex {
  /** Number of unique tuples so far. */
  size = 0;
  private data: Int32Array;
  private counts: Int32Array;
  private hashes: Int32Array;
  private slots: Int32Array; // row + 1, 0 = empty; open addressing with linear probing
  private mask: number;

  constructor(readonly width: number, expected = 1024) {
    if (!Number.isInteger(width) || width < 1) throw new Error(`tuple width must be a positive integer, got ${width}`);
    const rows = Math.max(16, expected);
    this.data = new Int32Array(rows * width);
    this.counts = new Int32Array(rows);
    this.hashes = new Int32Array(rows);
    let cap = 32;
    while (cap < rows * 2) cap *= 2;
    this.slots = new Int32Array(cap);
    this.mask = cap - 1;
  }

  /** Counts the tuple `src[at .. at+width)` once more and returns its row. */
  add(src: Int32Array, at: number, count = 1): number {
    const h = this.hash(src, at);
    const slot = this.probe(src, at, h);
    const r1 = this.slots[slot];
    if (r1 !== 0) {
      const c = this.counts[r1 - 1] + count;
      if (c > 0x7fffffff) throw new Error('tuple count overflows 2^31-1');
      this.counts[r1 - 1] = c;
      return r1 - 1;
    }
    const w = this.width;
    const row = this.size++;
    if (row === this.counts.length) this.grow();
    this.data.set(src.subarray(at, at + w), row * w);
    this.counts[row] = count;
    this.hashes[row] = h;
    this.slots[slot] = row + 1;
    if (this.size * 2 > this.slots.length) this.rehash();
    return row;
  }

  /** The row of the tuple `src[at .. at+width)`, -1 if it was never added (nothing is counted). */
  find(src: Int32Array, at: number): number {
    return this.slots[this.probe(src, at, this.hash(src, at))] - 1;
  }

  /** The count of a row. */
  countOf(row: number): number {
    return this.counts[row];
  }

  private hash(src: Int32Array, at: number): number {
    const w = this.width;
    let h = 0x9747b28c ^ w;
    for (let k = 0; k < w; k++) {
      h = Math.imul(h ^ src[at + k], 0x9e3779b1);
      h = (h << 13) | (h >>> 19);
    }
    h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
    h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
    return h ^ (h >>> 16);
  }

  /** The slot holding the tuple, or the empty slot where it would go (linear probing). */
  private probe(src: Int32Array, at: number, h: number): number {
    const w = this.width;
    const data = this.data;
    let slot = h & this.mask;
    for (;;) {
      const r1 = this.slots[slot];
      if (r1 === 0) return slot;
      const row = r1 - 1;
      if (this.hashes[row] === h) {
        let k = 0;
        const base = row * w;
        while (k < w && data[base + k] === src[at + k]) k++;
        if (k === w) return slot;
      }
      slot = (slot + 1) & this.mask;
    }
  }

  /** The unique tuples, `width` ids per row, in row order (a copy). */
  tuples(): Int32Array {
    return this.data.slice(0, this.size * this.width);
  }

  /** The count of each row (a copy). */
  tupleCounts(): Int32Array {
    return this.counts.slice(0, this.size);
  }

  private grow(): void {
    const rows = this.counts.length * 2;
    const data = new Int32Array(rows * this.width);
    data.set(this.data);
    this.data = data;
    const counts = new Int32Array(rows);
    counts.set(this.counts);
    this.counts = counts;
    const hashes = new Int32Array(rows);
    hashes.set(this.hashes);
    this.hashes = hashes;
  }

  private rehash(): void {
    const cap = this.slots.length * 2;
    const slots = new Int32Array(cap);
    const mask = cap - 1;
    for (let row = 0; row < this.size; row++) {
      let slot = this.hashes[row] & mask;
      while (slots[slot] !== 0) slot = (slot + 1) & mask;
      slots[slot] = row + 1;
    }
    this.slots = slots;
    this.mask = mask;
  }
}

/**
 * All windows of length n of each sequence (one Int32Array of token ids per thread; windows never
 * cross from one sequence into the next), deduplicated into unique (window, next) pairs with counts.
 */
export function buildWindows(sequences: Iterable<Int32Array>, n: number): WindowSet {
  const index = new TupleIndex(checkN(n) + 1);
  for (const seq of sequences) for (let i = n; i < seq.length; i++) index.add(seq, i - n);
  return toWindowSet(index, n);
}

/**
 * The windows of sequences to score (one or several, e.g. the threads of one service), deduplicated
 * across all of them, with the map from each position to its row (see {@link ScoringWindows}).
 */
export function scoringWindows(sequences: readonly Int32Array[], n: number): ScoringWindows {
  const index = new TupleIndex(checkN(n) + 1);
  const rows = sequences.map((seq) => {
    const r = new Int32Array(seq.length).fill(-1);
    for (let i = n; i < seq.length; i++) r[i] = index.add(seq, i - n);
    return r;
  });
  return { ...toWindowSet(index, n), rows };
}

/**
 * Per-position scores of one sequence from per-row scores: `scores[rows[i]]`, NaN where the position
 * has no window (rows[i] = -1, the first n positions).
 */
export function scatterScores(rows: Int32Array, scores: Float32Array): Float32Array {
  const out = new Float32Array(rows.length);
  for (let i = 0; i < rows.length; i++) out[i] = rows[i] < 0 ? NaN : scores[rows[i]];
  return out;
}

function checkN(n: number): number {
  if (!Number.isInteger(n) || n < 1) throw new Error(`window length n must be a positive integer, got ${n}`);
  return n;
}

function toWindowSet(index: TupleIndex, n: number): WindowSet {
  const unique = index.size;
  const tuples = index.tuples();
  const windows = new Int32Array(unique * n);
  const next = new Int32Array(unique);
  for (let r = 0; r < unique; r++) {
    windows.set(tuples.subarray(r * (n + 1), r * (n + 1) + n), r * n);
    next[r] = tuples[r * (n + 1) + n];
  }
  const counts = index.tupleCounts();
  let total = 0;
  for (let r = 0; r < unique; r++) total += counts[r];
  return { n, windows, next, counts, total, unique, ratio: unique === 0 ? 1 : total / unique };
}
