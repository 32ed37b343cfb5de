/**
 * Step 8 (paper §4.4): the most likely combination of a trace. Every combination's global sequence
 * is scored by the trace model and the highest mean score wins. The number of combinations is the
 * product of the slots' choices, which grows exponentially with the spans of a trace: up to a
 * limit all are scored (exhaustive), beyond it a beam search keeps the best partial combinations.
 */
import * as aq from 'arquero';
import type { Table } from '../capture/types';
import { choices, combinationCount, combinationLabel, combinationParts, combinations, reusesThread } from './candidates';
import type { Combination, TracePlan } from './candidates';
import { globalSequence, likelihoods } from './global';
import type { SequenceOptions } from './global';
import type { SequenceScorer } from './scorer';

/**
 * Default limit of the exhaustive search: 128 combinations (three services with five candidates
 * each, or seven with two). Scoring 128 global sequences of 280 syscalls took 1.4 s with the default
 * LSTM on the portable wasm backend here (2 cores, ≈15,000 windows/s before deduplication), which
 * keeps a live capture of a few hundred traces within minutes.
 */
export const DEFAULT_EXHAUSTIVE_LIMIT = 128;

/**
 * Default beam width: 16 partial combinations kept after each slot. Slots are taken in time order
 * and a partial combination is scored on the prefix of its global sequence before the next slot's
 * window opens, which holds only syscalls of the threads already chosen. Measured on the bundled
 * POST /orders traces (search spaces up to 432,000 combinations) with exact n-gram trace models:
 * widths 4 / 8 / 16 / 32 stitch every span of 15.6 / 20.0 / 22.2 / 24.4% of the traces to the right
 * process, scoring 103 / 186 / 326 / 558 sequences per trace; with the trace model's scores cached
 * across candidates (cachedScorer) the model itself runs on 26k / 31k / 35k / 38k unique windows for
 * the 41 traces. 16 takes most of the gain for well under twice the work of 8.
 */
export const DEFAULT_BEAM_WIDTH = 16;

/** Options of {@link searchCombinations}. */
export interface SearchOptions extends SequenceOptions {
  /** Largest search space scored exhaustively (default {@link DEFAULT_EXHAUSTIVE_LIMIT}). */
  exhaustiveLimit?: number;
  /** Partial combinations kept per slot by the beam search (default {@link DEFAULT_BEAM_WIDTH}). */
  beamWidth?: number;
  /** Force a search (for comparisons); default: exhaustive up to the limit, beam beyond. */
  search?: 'exhaustive' | 'beam';
}

/** The outcome of the search for one trace. */
export interface SearchResult {
  /** The best combination; null when the trace has no slot. */
  combination: Combination | null;
  /** Its likelihood (mean prediction score); NaN when none. */
  likelihood: number;
  /** Size of the search space (combinationCount). */
  candidates: number;
  /** Global sequences scored (full combinations, and prefixes in a beam search). */
  scored: number;
  search: 'exhaustive' | 'beam' | 'none';
}

/** Finds the most likely combination of a planned trace under its trace model. */
export async function searchCombinations(plan: TracePlan, model: { scorer: SequenceScorer }, opts: SearchOptions = {}): Promise<SearchResult> {
  const candidates = combinationCount(plan);
  if (plan.slots.length === 0) return { combination: null, likelihood: NaN, candidates: 0, scored: 0, search: 'none' };
  const exhaustive = opts.search ? opts.search === 'exhaustive' : candidates <= (opts.exhaustiveLimit ?? DEFAULT_EXHAUSTIVE_LIMIT);
  return exhaustive ? exhaustiveSearch(plan, model, opts, candidates) : beamSearch(plan, model, opts, candidates);
}

/** Every combination of a trace with its global sequence and likelihood, best first in the search's order (the paper's Table 1, scored). */
export async function rankCombinations(plan: TracePlan, model: { scorer: SequenceScorer }, opts: SequenceOptions = {}): Promise<Table> {
  const combos = [...combinations(plan)];
  const seqs = combos.map((c) => globalSequence(combinationParts(plan, c), opts));
  const scores = await likelihoods(model, seqs);
  const order = combos.map((_, i) => i).sort((a, b) => rank(plan, combos[a], scores[a], combos[b], scores[b]) || a - b);
  return aq.table({
    rank: order.map((_, r) => r + 1),
    combination: order.map((i) => combinationLabel(plan, combos[i])),
    sequence: order.map((i) => seqs[i].join(' ')),
    likelihood: order.map((i) => scores[i]),
  });
}

/** Sequences scored per call of the scorer, bounding memory. */
const CHUNK = 1024;

async function exhaustiveSearch(plan: TracePlan, model: { scorer: SequenceScorer }, opts: SearchOptions, candidates: number): Promise<SearchResult> {
  let best: Combination | null = null;
  let bestScore = NaN;
  let scored = 0;
  let chunk: Combination[] = [];
  const flush = async () => {
    const scores = await likelihoods(model, chunk.map((c) => globalSequence(combinationParts(plan, c), opts)));
    chunk.forEach((c, i) => {
      if (best === null || rank(plan, c, scores[i], best, bestScore) < 0) {
        best = c;
        bestScore = scores[i];
      }
    });
    scored += chunk.length;
    chunk = [];
  };
  for (const c of combinations(plan)) {
    chunk.push(c);
    if (chunk.length === CHUNK) await flush();
  }
  if (chunk.length > 0) await flush();
  return { combination: best, likelihood: bestScore, candidates, scored, search: 'exhaustive' };
}

async function beamSearch(plan: TracePlan, model: { scorer: SequenceScorer }, opts: SearchOptions, candidates: number): Promise<SearchResult> {
  const width = opts.beamWidth ?? DEFAULT_BEAM_WIDTH;
  if (!Number.isInteger(width) || width < 1) throw new Error(`beam width must be a positive integer, got ${width}`);
  let beam: { combo: Combination; score: number }[] = [{ combo: [], score: NaN }];
  let scored = 0;
  for (let j = 0; j < plan.slots.length; j++) {
    const slot = plan.slots[j];
    const expansions: Combination[] = [];
    for (const { combo } of beam) {
      const free = choices(slot).filter((choice) => !reusesThread(plan, combo, j, choice));
      // As in combinations(): no free candidate leaves the slot empty.
      for (const choice of free.length > 0 ? free : [[]]) expansions.push([...combo, choice]);
    }
    const cutNs = j + 1 < plan.slots.length ? plan.slots[j + 1].from : undefined;
    const scores: number[] = [];
    for (let from = 0; from < expansions.length; from += CHUNK) {
      const part = expansions.slice(from, from + CHUNK);
      scores.push(...(await likelihoods(model, part.map((c) => globalSequence(combinationParts(plan, c), opts, cutNs)))));
    }
    scored += expansions.length;
    beam = expansions
      .map((combo, i) => ({ combo, score: scores[i], i }))
      .sort((a, b) => rank(plan, a.combo, a.score, b.combo, b.score) || a.i - b.i)
      .slice(0, width);
  }
  return { combination: beam[0].combo, likelihood: beam[0].score, candidates, scored, search: 'beam' };
}

/**
 * Combinations that leave fewer slots empty first, then those with fewer helpers (Slot.helper),
 * then higher likelihoods. Leaving a slot empty, or giving a span a helper's short burst instead of
 * its own thread's whole work, removes syscalls the trace model would have scored lower, which
 * raises a mean score: the profile says the slot has a thread that covers it, so a combination
 * that gives it one wins.
 */
function rank(plan: TracePlan, a: Combination, scoreA: number, b: Combination, scoreB: number): number {
  return empties(a) - empties(b) || helpers(plan, a) - helpers(plan, b) || byScore(scoreA, scoreB);
}

function empties(c: Combination): number {
  return c.reduce((n, choice) => n + (choice.length === 0 ? 1 : 0), 0);
}

function helpers(plan: TracePlan, c: Combination): number {
  return c.reduce((n, choice, j) => n + choice.filter((i) => plan.slots[j].helper?.[i] === true).length, 0);
}

/** Higher scores first; NaN (nothing scored) after any number. */
function byScore(a: number, b: number): number {
  if (Number.isNaN(a)) return Number.isNaN(b) ? 0 : 1;
  if (Number.isNaN(b)) return -1;
  return b - a;
}
