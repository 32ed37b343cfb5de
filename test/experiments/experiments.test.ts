import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { tInterval, t975 } from '../../experiments/lib/stats';
import { runExperiment } from '../../experiments/lib/experiment';
import { experimentNamed } from '../../experiments/lib/registry';
import { gatherReport } from '../../experiments/lib/report';
import { PointStore } from '../../experiments/lib/store';
import { intervalFigure } from '../../lib/plot/experiments';

const ROOT = resolve(__dirname, '..', '..');
const out = mkdtempSync(join(tmpdir(), 'experiments-'));
process.on('exit', () => rmSync(out, { recursive: true, force: true }));

function run(...args: string[]): string {
  return execFileSync(process.execPath, ['--import', 'tsx', join(ROOT, 'experiments', 'run.ts'), ...args], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

function parseCsv(text: string): { header: string[]; rows: string[][] } {
  // The experiments' fields hold no quotes or commas except trace types, which have none either.
  const [header, ...rows] = text.trim().split('\n').map((l) => l.split(','));
  return { header, rows };
}

test('t quantiles match the tables, and the interval holds the mean and narrows with more runs', () => {
  // Student's t 0.975 quantiles from standard tables.
  for (const [df, t] of [[1, 12.706], [5, 2.571], [10, 2.228], [30, 2.042], [31, 2.040], [60, 2.000], [120, 1.980]] as const) assert.ok(Math.abs(t975(df) - t) < 1e-3, `df ${df}: ${t975(df)}`);
  // Decreasing towards the normal quantile.
  for (let df = 2; df < 200; df++) assert.ok(t975(df) < t975(df - 1) && t975(df) > 1.96, `df ${df}`);
  const few = tInterval([0.5, 0.7, 0.6]);
  assert.ok(Math.abs(few.mean - 0.6) < 1e-12);
  // s = 0.1, half-width t(2) * 0.1 / sqrt(3)
  assert.ok(Math.abs(few.hi! - (0.6 + (4.3027 * 0.1) / Math.sqrt(3))) < 1e-9);
  const many = tInterval(Array.from({ length: 30 }, (_, i) => [0.5, 0.7, 0.6][i % 3]));
  assert.ok(many.hi! - many.lo! < few.hi! - few.lo!);
  // Clipped to [0, 1]; NaN (a run without the trace type) is left out; one value has no interval.
  const high = tInterval([1, 1, 0.2, NaN]);
  assert.equal(high.n, 3);
  assert.equal(high.hi, 1);
  assert.deepEqual(tInterval([0.4]), { mean: 0.4, lo: null, hi: null, n: 1 });
});

test('without a name the runner lists every experiment with one line each', () => {
  const lines = run().trim().split('\n').slice(1);
  const names = lines.map((l) => l.trim().split(/\s+/)[0]);
  for (const name of ['table2-100', 'baselines', 'handoff', 'sweep-concurrency', 'sweep-replicas', 'sweep-noise', 'sweep-skew', 'sweep-n-threshold']) assert.ok(names.includes(name), `${name} not listed`);
  assert.throws(() => run('nope'), /unknown experiment "nope"/);
});

/** Runs an experiment in quick mode with the n-gram scorer in this process (a child process would load tfjs again). */
function quick(name: string) {
  return runExperiment(experimentNamed(name), { resultsDir: out, fresh: false, quick: true, scorer: 'ngram', seed: 1 });
}

test('baselines in quick mode: every method and trace type, fractions in [0, 1], CIs around the mean, resumable', async () => {
  await quick('baselines');
  const dir = join(out, 'baselines');
  const json = JSON.parse(readFileSync(join(dir, 'baselines.json'), 'utf8'));
  assert.equal(json.source, 'simulated');
  assert.ok(json.figures.length >= 1);
  const csv = parseCsv(readFileSync(join(dir, 'baselines.csv'), 'utf8'));
  assert.deepEqual(csv.header, json.columns);
  assert.equal(csv.rows.length, json.rows.length);
  const methods = new Set(json.rows.map((r: { method: string }) => r.method));
  assert.deepEqual([...methods], ['deepstitch', 'random', 'overlap', 'fifo', 'tid-keying', 'local']);
  for (const r of json.rows) {
    for (const c of ['acc_process', 'acc_thread', 'span_acc_process', 'span_acc_thread']) {
      if (r[c] === null) continue;
      assert.ok(r[c] >= 0 && r[c] <= 1, `${r.method} ${r.trace_type} ${c} = ${r[c]}`);
    }
    for (const level of ['process', 'thread']) {
      const [m, lo, hi] = [r[`acc_${level}`], r[`acc_${level}_lo`], r[`acc_${level}_hi`]];
      if (lo === null) continue;
      assert.ok(lo >= 0 && lo <= m + 1e-12 && m <= hi + 1e-12 && hi <= 1, `${r.method} ${r.trace_type} ${level}: ${lo} ${m} ${hi}`);
    }
    assert.ok(r.runs <= 2);
  }
  // Process-level right is implied by thread-level right, per span.
  for (const r of json.rows) if (r.span_acc_thread !== null) assert.ok(r.span_acc_thread <= r.span_acc_process + 1e-12);
  const points = readdirSync(join(dir, 'points'));
  assert.equal(points.length, 2, 'one stored unit per run');
  const before = points.map((p) => statSync(join(dir, 'points', p)).mtimeMs);
  // A second invocation reuses both runs and gives the same rows.
  await quick('baselines');
  assert.deepEqual(points.map((p) => statSync(join(dir, 'points', p)).mtimeMs), before);
  assert.deepEqual(JSON.parse(readFileSync(join(dir, 'baselines.json'), 'utf8')).rows, json.rows);
});

test('handoff in quick mode: categories hold spans, and tid-keying is never right on a thread it did not receive on', async () => {
  await quick('handoff');
  const json = JSON.parse(readFileSync(join(out, 'handoff', 'handoff.json'), 'utf8'));
  const row = (method: string, category: string) => json.rows.find((r: { method: string; category: string }) => r.method === method && r.category === category);
  assert.ok(row('deepstitch', 'one thread').spans > 0);
  assert.ok(row('deepstitch', 'new thread').spans > 0, 'orders @Async spans expected in the POST /orders traces');
  // By the categories' definition tid-keying keeps the receiving thread, so it cannot be right once the work moved.
  assert.equal(row('tid-keying', 'new thread').span_acc_thread, 0);
  assert.equal(row('tid-keying', 'thread pool').span_acc_thread, 0);
  for (const r of json.rows) assert.ok(r.span_acc_thread >= 0 && r.span_acc_thread <= 1);
});

test('gatherReport gathers Table 2 and every experiment into one simulated-labelled page', async () => {
  const report = await gatherReport(out);
  assert.equal(report.table2, false);
  assert.deepEqual(report.experiments, ['baselines', 'handoff']);
  const html = readFileSync(report.path, 'utf8');
  assert.match(html, /SIMULATED data/);
  assert.match(html, /Deepstitch against the baselines/);
  assert.match(html, /Accuracy by hand-off category/);
});

test('intervalFigure draws one series per method with error bars from the interval bounds, none where there is no interval', () => {
  const rows = [
    { c: 1, method: 'a', acc: 0.5, lo: 0.4, hi: 0.7 },
    { c: 2, method: 'a', acc: 0.6, lo: null, hi: null },
    { c: 1, method: 'b', acc: 0.2, lo: 0.1, hi: 0.25 },
  ];
  const fig = intervalFigure({ rows, x: 'c', series: 'method', y: 'acc', lo: 'lo', hi: 'hi', mode: 'lines', fraction: true, title: 't', source: 'simulated' });
  assert.deepEqual(fig.data.map((d) => d.name), ['a', 'b']);
  const err = fig.data[0].error_y as { array: number[]; arrayminus: number[] };
  // Plotly's error bars are lengths from the value: hi - y up, y - lo down.
  assert.ok(Math.abs(err.array[0] - 0.2) < 1e-12 && Math.abs(err.arrayminus[0] - 0.1) < 1e-12);
  assert.deepEqual([err.array[1], err.arrayminus[1]], [0, 0]);
  assert.match(fig.layout.title.text, /SIMULATED/);
  assert.throws(() => intervalFigure({ rows, x: 'c', series: 'method', y: 'nope', mode: 'bars', title: 't', source: 'simulated' }), /no nope/);
});

test('PointStore computes a unit once per settings, keeps NaN as null, and --fresh forgets', async () => {
  const dir = join(out, 'store-test');
  let calls = 0;
  const compute = async () => ({ calls: ++calls, acc: NaN });
  const store = await PointStore.open(dir, false);
  assert.deepEqual(await store.get('x=1-run=1', { a: 1 }, compute), { calls: 1, acc: NaN });
  // Read back from disk: the NaN was written as null.
  assert.deepEqual(await (await PointStore.open(dir, false)).get('x=1-run=1', { a: 1 }, compute), { calls: 1, acc: null });
  assert.equal((await store.get('x=1-run=1', { a: 2 }, compute)).calls, 2, 'other settings are another unit');
  assert.equal((await (await PointStore.open(dir, true)).get('x=1-run=1', { a: 1 }, compute)).calls, 3, 'fresh recomputes');
  assert.equal(store.code.length, 12);
});
