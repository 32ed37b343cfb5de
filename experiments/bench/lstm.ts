/**
 * LSTM benchmark (issue 7): the kit's fast engine, its tf.layers engine and a PyTorch reference
 * train and score the same windows, side by side, on this machine.
 *
 *   npm run bench                      (default: a simulated idle capture of 1200 s, seed 1)
 *   npm run bench -- --idle-s 600 --seed 2
 *   npm run bench -- --idle-10m        (also time the idle-model step on 10M simulated idle syscalls)
 *   npm run bench -- --quick           (a check that it runs: 120 s of capture, few steps; figures rough)
 *
 * Data: a seeded simulated idle Sock Shop capture (lib/sim), one syscall sequence per thread, all
 * services pooled, windows of n = 10 deduplicated into (window, next) pairs with counts. Sizes as
 * the issue's: vocabulary 64, embedding 16, LSTM 64, batches of 256, Adam at 0.005.
 *
 * Figures are windows per second. "unique": engines on the same unique pairs (training weights each
 * by its count). "train raw-window equivalent (dedup)": the kit's unique pairs/s times the dedup
 * ratio (each pair stands for its count of raw windows); PyTorch trains through every raw window.
 * The kit scores with prefix sharing (a prefix shared by several windows computed once: an
 * algorithmic gain, not a faster kernel), and is also timed without it, window by window as
 * tf.layers and PyTorch compute. "score raw": the kit scores each unique window once, dedup time
 * included; PyTorch every raw window.
 *
 * The last line is `ratios train_unique=R1 train_raw=R2 score=R3 score_raw=R4 score_noprefix=R5`,
 * the kit's fast engine on ONE thread over PyTorch on one thread (R1, R3, R5 on the same unique
 * windows; R3 and R4 with prefix sharing, R5 without; R2 the kit's raw-window equivalent with its
 * dedup over PyTorch on all raw windows); `na` without PyTorch (Debian's python3-torch at
 * /usr/bin/python3). The 2-worker figures are printed apart, as per-core information.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describeBackend } from '../../lib/nn/backend';
import { buildModel } from '../../lib/nn/model';
import type { NextTokenModel } from '../../lib/nn/model';
import { predictScores } from '../../lib/nn/predict';
import { train } from '../../lib/nn/train';
import { lexicographicOrder } from '../../lib/nn/fast';
import { prefixTree } from '../../lib/nn/kernel';
import { terminateKernelPools } from '../../lib/nn/pool';
import { Vocab } from '../../lib/seq/vocab';
import { buildWindows } from '../../lib/seq/windows';
import type { WindowSet } from '../../lib/seq/windows';
import { simulate } from '../../lib/sim';
import { trainIdleModels } from '../../lib/stitch/idle';
import { threadSequences } from '../../lib/stitch/threads';

const SIZES = { n: 10, vocabSize: 64, embedding: 16, hidden: 64, layers: 1, seed: 1 };
const BATCH = 256;
const LR = 0.005;
const QUICK = process.argv.includes('--quick');
/** Optimizer steps timed per fast-engine run, and for tf.layers (slow: a few are enough for a rate). */
const FAST_STEPS = QUICK ? 30 : 120;
const LAYERS_STEPS = QUICK ? 2 : 6;
const LAYERS_SCORE_WINDOWS = QUICK ? 2048 : 8192;
const TORCH = '/usr/bin/python3';

function arg(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  return at < 0 ? fallback : Number(process.argv[at + 1]);
}

const fmt = (x: number) => (Number.isFinite(x) ? Math.round(x).toLocaleString('en-US') : 'na');
const mb = (bytes: number) => `${Math.round(bytes / 1e6)} MB`;
const log = (s: string) => process.stderr.write(`${s}\n`);

/** The first `rows` pairs of a set (training throughput on a fixed number of steps). */
function head(data: WindowSet, rows: number): WindowSet {
  const k = Math.min(rows, data.unique);
  const counts = data.counts.slice(0, k);
  const total = counts.reduce((a, b) => a + b, 0);
  return { n: data.n, windows: data.windows.slice(0, k * data.n), next: data.next.slice(0, k), counts, total, unique: k, ratio: total / k };
}

/** Unique pairs per second over `steps` optimizer steps of one epoch. */
async function trainRate(data: WindowSet, steps: number, opts: { engine: 'fast' | 'layers'; workers?: number }): Promise<number> {
  const model = await buildModel(SIZES);
  const part = head(data, steps * BATCH);
  const h = await train(model, part, { ...opts, maxEpochs: 1, minStepsPerEpoch: steps, batchSize: BATCH, learningRate: LR, valFraction: 0 });
  return h.epochs[0].samplesPerSec;
}

/** Windows per second scoring `data`'s rows (no cache: each run computes). */
async function scoreRate(model: NextTokenModel, data: WindowSet, opts: { engine: 'fast' | 'layers'; workers?: number; prefixTree?: boolean }): Promise<number> {
  const t0 = performance.now();
  await predictScores(model, data, { ...opts, cache: false });
  return data.unique / ((performance.now() - t0) / 1000);
}

function idleSequences(durationS: number, seed: number): { seqs: Int32Array[]; vocab: Vocab; syscalls: number } {
  const cap = simulate({ mode: 'idle', durationS, seed });
  const threads = threadSequences(cap.syscalls);
  const vocab = Vocab.build(threads.map((t) => t.syscalls));
  if (vocab.size > SIZES.vocabSize) throw new Error(`the capture has ${vocab.size} tokens, more than the benchmark's vocabulary of ${SIZES.vocabSize}`);
  return { seqs: threads.map((t) => vocab.encode(t.syscalls)), vocab, syscalls: cap.syscalls.numRows() };
}

interface TorchRates {
  train_unique: number;
  train_raw: number;
  score: number;
  score_raw: number;
  torch: string;
}

function runTorch(data: WindowSet): TorchRates | string {
  if (!existsSync(TORCH)) return `${TORCH} not found`;
  const probe = spawnSync(TORCH, ['-c', 'import torch'], { encoding: 'utf8' });
  if (probe.status !== 0) return `no PyTorch for ${TORCH} (apt-get install python3-torch)`;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'deepstitch-bench-'));
  try {
    const bin = new Int32Array(data.unique * (data.n + 2));
    bin.set(data.windows, 0);
    bin.set(data.next, data.unique * data.n);
    bin.set(data.counts, data.unique * (data.n + 1));
    writeFileSync(path.join(dir, 'data.bin'), new Uint8Array(bin.buffer));
    // Scores all the unique windows, as the kit does (R3 compares the same windows).
    const config = { n: data.n, vocab: SIZES.vocabSize, embedding: SIZES.embedding, hidden: SIZES.hidden, batch: BATCH, lr: LR, seed: 1, train_batches: FAST_STEPS, score_batch: 1024, score_windows: data.unique, raw_score_windows: 200_000 };
    writeFileSync(path.join(dir, 'config.json'), JSON.stringify(config));
    const script = path.join(__dirname, 'lstm_torch.py');
    const env = { ...process.env, OPENBLAS_NUM_THREADS: '1', OMP_NUM_THREADS: '1', MKL_NUM_THREADS: '1' };
    const run = spawnSync(TORCH, [script, path.join(dir, 'data.bin'), path.join(dir, 'config.json')], { encoding: 'utf8', env });
    if (run.status !== 0) return `lstm_torch.py failed: ${run.stderr.trim().split('\n').pop()}`;
    return JSON.parse(run.stdout.trim().split('\n').pop()!) as TorchRates;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function idle10m(seed: number): Promise<void> {
  // The bundled simulation makes ~770 idle syscalls per simulated second.
  const target = 10_000_000;
  let peak = 0;
  const sample = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 200);
  const t0 = performance.now();
  const cap = simulate({ mode: 'idle', durationS: Math.ceil(target / 770), seed });
  const t1 = performance.now();
  log(`simulated ${fmt(cap.syscalls.numRows())} idle syscalls in ${((t1 - t0) / 1000).toFixed(1)} s`);
  const cacheDir = mkdtempSync(path.join(os.tmpdir(), 'deepstitch-idle10m-'));
  try {
    const elapsed = () => `${((performance.now() - t1) / 1000).toFixed(0)} s`;
    const idle = await trainIdleModels(cap.syscalls, { cacheDir, onProgress: (p) => p.detail && log(`  [${elapsed()}, RSS ${mb(process.memoryUsage().rss)}] ${p.step} ${p.done}/${p.total}: ${p.detail}`) });
    const t2 = performance.now();
    clearInterval(sample);
    peak = Math.max(peak, process.memoryUsage().rss);
    const models = [...idle.models.values()];
    const windows = models.reduce((s, m) => s + m.windows.total, 0);
    const unique = models.reduce((s, m) => s + m.windows.unique, 0);
    console.log(`\nidle-model step on ${fmt(cap.syscalls.numRows())} simulated idle syscalls (${models.length} services): windows + dedup + train ${((t2 - t1) / 1000).toFixed(1)} s (simulation before it ${((t1 - t0) / 1000).toFixed(1)} s); ${fmt(windows)} windows, ${fmt(unique)} unique pairs (x${(windows / unique).toFixed(0)}); peak RSS ${mb(peak)}`);
  } finally {
    clearInterval(sample);
    rmSync(cacheDir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const durationS = arg('idle-s', QUICK ? 120 : 1200);
  const seed = arg('seed', 1);
  const cores = os.availableParallelism();
  const load = os.loadavg().map((x) => x.toFixed(2)).join(' ');
  console.log(`LSTM benchmark: V=${SIZES.vocabSize} n=${SIZES.n} embedding ${SIZES.embedding} LSTM ${SIZES.hidden} batch ${BATCH} Adam ${LR}; ${cores} cores, load average ${load} at start; tf.js backend ${await describeBackend()}`);

  log(`simulating ${durationS} s of idle Sock Shop (seed ${seed})...`);
  const { seqs, vocab, syscalls } = idleSequences(durationS, seed);
  const td = performance.now();
  const data = buildWindows(seqs, SIZES.n);
  const dedupS = (performance.now() - td) / 1000;
  console.log(`data: ${fmt(syscalls)} idle syscalls in ${seqs.length} threads, ${vocab.size} distinct tokens; ${fmt(data.total)} raw windows, ${fmt(data.unique)} unique (window, next) pairs: dedup ratio ${data.ratio.toFixed(1)} (windows + dedup ${dedupS.toFixed(2)} s)`);

  log('fast engine: training...');
  const fastTrain1 = await trainRate(data, FAST_STEPS, { engine: 'fast', workers: 0 });
  const fastTrain2 = await trainRate(data, FAST_STEPS, { engine: 'fast', workers: 2 });
  log('fast engine: scoring...');
  const model = await buildModel(SIZES);
  await train(model, head(data, 20 * BATCH), { maxEpochs: 1, valFraction: 0, workers: 0 });
  const fastScore1 = await scoreRate(model, data, { engine: 'fast', workers: 0 });
  await scoreRate(model, head(data, 4096), { engine: 'fast', workers: 2 }); // start the workers
  const fastScore2 = await scoreRate(model, data, { engine: 'fast', workers: 2 });
  const plainScore1 = await scoreRate(model, data, { engine: 'fast', workers: 0, prefixTree: false });
  const plainScore2 = await scoreRate(model, data, { engine: 'fast', workers: 2, prefixTree: false });
  const order = lexicographicOrder(data.windows, data.n, SIZES.vocabSize);
  const sorted = new Int32Array(data.windows.length);
  order.forEach((r, k) => sorted.set(data.windows.subarray(r * data.n, (r + 1) * data.n), k * data.n));
  const treeSteps = prefixTree(sorted, data.n).token.length;
  // Raw: deduplication included, each unique window scored once.
  const scoreRaw = (rate: number) => data.total / (dedupS + data.unique / rate);

  log('tf.layers engine (a few batches)...');
  const layersTrain = await trainRate(data, LAYERS_STEPS, { engine: 'layers' });
  const layersScore = await scoreRate(model, head(data, LAYERS_SCORE_WINDOWS), { engine: 'layers' });

  log('PyTorch reference...');
  const torch = runTorch(data);
  const t: TorchRates | null = typeof torch === 'string' ? null : torch;
  await terminateKernelPools();

  // Scoring columns: with prefix sharing (the kit's default, an algorithmic gain) and window by window.
  const rows: [string, number, number, number, number, number][] = [
    ['kit fast, 1 thread', fastTrain1, fastTrain1 * data.ratio, fastScore1, plainScore1, scoreRaw(fastScore1)],
    ['kit tf.layers (wasm), 1 thread', layersTrain, layersTrain * data.ratio, NaN, layersScore, NaN],
    [`PyTorch ${t?.torch ?? '(absent)'}, 1 thread`, t?.train_unique ?? NaN, t?.train_raw ?? NaN, NaN, t?.score ?? NaN, t?.score_raw ?? NaN],
    ['(per-core information) kit fast, 2 workers', fastTrain2, fastTrain2 * data.ratio, fastScore2, plainScore2, scoreRaw(fastScore2)],
  ];
  const header = ['engine', 'train unique/s', 'train raw-window equiv. (dedup)/s', 'score unique/s, prefix sharing', 'score unique/s, no prefix sharing', 'score raw/s'];
  const cells = [header, ...rows.map(([name, ...xs]) => [name, ...xs.map(fmt)])];
  const widths = header.map((_, c) => Math.max(...cells.map((r) => r[c].length)));
  console.log('');
  for (const r of cells) console.log(r.map((x, c) => (c === 0 ? x.padEnd(widths[c]) : x.padStart(widths[c]))).join('  '));
  console.log(`\nscoring: "prefix sharing" computes a prefix shared by several sorted windows once (${fmt(treeSteps)} LSTM steps over the prefix tree instead of ${fmt(data.unique * data.n)} window by window): an algorithmic gain, not kernel speed; "no prefix sharing" computes each window on its own, as tf.layers and PyTorch do`);
  console.log(`training: "train raw-window equiv. (dedup)" = unique pairs/s x dedup ratio ${data.ratio.toFixed(1)} for the kit (each pair stands for its count of raw windows); PyTorch's trains on every raw window`);
  console.log(`score raw/s: the kit's = ${fmt(data.total)} raw windows / (dedup ${dedupS.toFixed(2)} s + scoring the unique windows with prefix sharing); PyTorch's scores every raw window`);
  console.log(`per core: fast train ${fmt(fastTrain1)}/s on 1, ${fmt(fastTrain2 / 2)}/s per core on 2 workers (x${(fastTrain2 / fastTrain1).toFixed(2)}); fast score ${fmt(fastScore1)}/s on 1, ${fmt(fastScore2 / 2)}/s per core on 2 (x${(fastScore2 / fastScore1).toFixed(2)})`);
  if (!t) console.log(`PyTorch skipped: ${torch as string}`);
  console.log(`load average at end ${os.loadavg().map((x) => x.toFixed(2)).join(' ')} (other work on the machine slows every engine; compare within one run)`);
  if (QUICK) console.log('--quick: a short capture and few steps; the figures are rough');

  if (process.argv.includes('--idle-10m')) await idle10m(seed);

  // One thread against one thread, on the same unique windows.
  const ratio = (kit: number, ref: number | undefined) => (ref === undefined ? 'na' : (kit / ref).toFixed(2));
  console.log(
    `ratios train_unique=${ratio(fastTrain1, t?.train_unique)} train_raw=${ratio(fastTrain1 * data.ratio, t?.train_raw)} score=${ratio(fastScore1, t?.score)} score_raw=${ratio(scoreRaw(fastScore1), t?.score_raw)} score_noprefix=${ratio(plainScore1, t?.score)}`,
  );
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
