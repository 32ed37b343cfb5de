/**
 * The main job: the whole Deepstitch method on captures, Table 2 beside the paper's.
 *
 *   npm run reproduce                       # the bundled captures: simulated Sock Shop, then the real shop
 *   npm run reproduce -- --idle DIR --isolated DIR [--isolated DIR ...] --live DIR --out DIR
 *
 * Options: --n N (window length), --threshold T (signal threshold), --scorer lstm|ngram,
 * --retrain (ignore the model cache), --bundled all|simulated|real (which bundled set). Each set
 * writes, in OUT (the real set in OUT/real), stitched.jaeger.json and stitched.otlp.json (the live
 * traces with each span's syscalls in a tag) and stitching.html; when the live capture has
 * truth.csv, also Table 2: table2.json, table2.csv, table2.meta.json. OUT/report.html then gathers
 * Table 2 of every set and the experiments' results (experiments/lib/report.ts).
 */
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { formatCsvField, loadCapture, type Capture } from '../lib/capture/index';
import { describeBackend } from '../lib/nn/backend';
import {
  DEFAULT_N, DEFAULT_THRESHOLD, STITCHED, analyseIsolatedSet, evaluate, alignedTable, formatTable2, idleTable, stitchCapture, table2,
  toJaeger, toOtlp, trainIdleModels, trainTraceModels, type ScorerKind, type Table2Row,
} from '../lib/stitch/index';
import { accuracyFigure, writeReport } from '../lib/plot/index';
import { terminalProgress } from '../lib/stitch/progress';
import { gatherReport } from './lib/report';

const ROOT = resolve(__dirname, '..');
const BUNDLED = join(ROOT, 'data', 'sockshop');
const REAL = join(ROOT, 'data', 'real');

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      idle: { type: 'string' },
      isolated: { type: 'string', multiple: true },
      live: { type: 'string' },
      out: { type: 'string', default: join(ROOT, 'results') },
      bundled: { type: 'string', default: 'all' },
      n: { type: 'string', default: String(DEFAULT_N) },
      threshold: { type: 'string', default: String(DEFAULT_THRESHOLD) },
      scorer: { type: 'string', default: 'lstm' },
      retrain: { type: 'boolean', default: false },
    },
  });
  const n = Number(values.n);
  const threshold = Number(values.threshold);
  const scorer = values.scorer as ScorerKind;
  if (!Number.isInteger(n) || n < 1) throw new Error(`--n: expected a positive integer, got ${values.n}`);
  if (!(threshold > 0 && threshold < 1)) throw new Error(`--threshold: expected a probability in (0, 1), got ${values.threshold}`);
  if (scorer !== 'lstm' && scorer !== 'ngram') throw new Error(`--scorer: expected lstm or ngram, got ${values.scorer}`);
  if (!['all', 'simulated', 'real'].includes(values.bundled!)) throw new Error(`--bundled: expected all, simulated or real, got ${values.bundled}`);
  const out = resolve(values.out!);
  const opts = { n, threshold, scorer, retrain: values.retrain! };
  const given = await givenDirs(values.idle, values.isolated, values.live);
  if (given) await runSet(given, out, opts);
  else {
    // The bundled sets: the simulated Sock Shop in OUT, the real shop recorded here in OUT/real.
    const sim = values.bundled === 'real' ? null : await runSet(await bundledSimulated(), out, opts);
    const real = values.bundled === 'simulated' ? null : await runSet(bundledReal(), join(out, 'real'), opts);
    if (sim && real) console.log(`\n${formatComparison(sim, real)}`);
  }
  const report = await gatherReport(out);
  process.stderr.write(`wrote ${report.path}\n`);
}

/** Settings of one run of the method. */
interface RunOptions {
  n: number;
  threshold: number;
  scorer: ScorerKind;
  retrain: boolean;
}

/**
 * The whole method on one set of captures, its outputs written to `out` (stitched traces, and when
 * the live capture has truth.csv, Table 2 and stitching.html); Table 2's rows, or null without truth.
 */
async function runSet(dirs: CaptureDirs, out: string, { n, threshold, scorer, retrain }: RunOptions): Promise<Table2Row[] | null> {
  const progress = terminalProgress();
  const started = Date.now();
  const log = (msg: string) => process.stderr.write(`${msg}\n`);

  if (scorer === 'lstm') log(`backend: ${await describeBackend()}`);
  const idle = await load(dirs.idle, 'idle', log);
  const isolated = [];
  for (const d of dirs.isolated) isolated.push(await load(d, 'isolated', log));
  const live = await load(dirs.live, 'live', log);
  const captures = [idle, ...isolated, live];
  const source = captures.map((c) => c.manifest.source);
  const sourceText = [...new Set(source)].join(' + ');

  const fit = { n, scorer, retrain, onProgress: progress };
  const idleModels = await trainIdleModels(idle.syscalls, fit);
  for (const s of idleModels.skipped) log(`idle model skipped: ${s.service}: ${s.reason}`);
  const analysis = await analyseIsolatedSet(isolated, idleModels.models, { threshold, onProgress: progress });
  const traceModels = await trainTraceModels(analysis.sequences, fit);
  for (const s of traceModels.skipped) log(`trace model skipped: ${s.traceType}: ${s.reason}`);
  const result = await stitchCapture(live, idleModels.models, analysis.profiles, traceModels.models, { threshold, onProgress: progress });
  const seconds = (Date.now() - started) / 1000;
  const dedup = dedupRatio([...idleModels.models.values(), ...traceModels.models.values()].map((m) => m.windows));
  const backend = scorer === 'lstm' ? await describeBackend() : 'none (n-gram counts)';
  const settings = `n = ${n}, threshold = ${threshold}, scorer = ${scorer}, backend ${backend}; windows deduplicated ${dedup.total} -> ${dedup.unique} (ratio ${dedup.ratio.toFixed(1)}); ${seconds.toFixed(1)} s`;
  const stitchedCount = (result.stitched.array('status') as string[]).filter((st) => st === STITCHED).length;
  console.log(`${live.spans.numRows()} live spans in ${new Set(live.spans.array('trace_id') as string[]).size} traces, ${stitchedCount} spans stitched; ${settings}`);
  const search = searchSummary(result.stitched);
  console.log(`candidate search: ${search.exhaustive} traces exhaustive, ${search.beam} by beam; combinations scored per trace: mean ${search.meanScored.toFixed(1)}, max ${search.maxScored}; ` +
    `trace-model windows run ${search.modelWindows} (the rest from the score cache)`);

  await mkdir(out, { recursive: true });
  const written = ['stitched.jaeger.json', 'stitched.otlp.json', 'stitching.html'];
  await writeFile(join(out, 'stitched.jaeger.json'), toJaeger(result.stitched, live.spans, live.originNs));
  await writeFile(join(out, 'stitched.otlp.json'), toOtlp(result.stitched, live.spans, live.originNs));
  const models = {
    heading: 'Idle models',
    tables: [{ caption: `One ${scorer === 'lstm' ? 'LSTM' : 'n-gram model'} per service, trained on the idle capture`, columns: idleTable(idleModels).columnNames(), rows: idleTable(idleModels).objects().map((o) => Object.values(o)) }],
  };
  const capturesSection = { heading: 'Captures', text: Object.entries(dirs).map(([k, v]) => `${k}: ${[v].flat().join(', ')}`).join('\n') };
  if (!live.truth) {
    // A recording without ground truth is stitched and exported; there is nothing to score it against.
    log(`${dirs.live}: no truth.csv, so no Table 2: the stitched traces are exported only`);
    await writeReport(join(out, 'stitching.html'), { title: 'Deepstitch Kit: stitching', source, sections: [{ heading: 'Stitching', text: settings }, models, capturesSection] });
    log(`wrote ${written.map((f) => join(out, f)).join(', ')}`);
    return null;
  }
  const rows = table2(evaluate(result.stitched, live.truth, live.spans));
  console.log(`\n${formatTable2(rows, sourceText)}`);
  console.log('A trace counts as right when every one of its spans is stitched to the right process (thread); coverage is the fraction of spans stitched; per-span figures are in table2.json.');
  const meta = { source: sourceText, n, threshold, scorer, backend, seconds, captures: dirs, windows: dedup, search };
  await writeFile(join(out, 'table2.json'), `${JSON.stringify(rows.map(jsonRow), null, 2)}\n`);
  await writeFile(join(out, 'table2.meta.json'), `${JSON.stringify(meta, null, 2)}\n`);
  await writeFile(join(out, 'table2.csv'), toCsv(rows));
  await writeReport(join(out, 'stitching.html'), {
    title: 'Deepstitch Kit: Table 2',
    source,
    sections: [
      {
        heading: 'Table 2',
        text: `Accuracy per trace (a trace is right when every span is stitched to the right process, or thread) at process level (host, pid: the paper's PID check) and thread level, beside the paper's Table 2; span_acc_* are per span (every truth span counts: one not stitched is wrong), coverage is the fraction of spans stitched. ${settings}.`,
        figures: [accuracyFigure({ rows, source })],
        tables: [{ caption: `Table 2 (${sourceText})`, columns: Object.keys(emptyRow()), rows: rows.map((r) => Object.values(jsonRow(r))) }],
      },
      models,
      capturesSection,
    ],
  });
  log(`wrote ${[...written, 'table2.json', 'table2.csv', 'table2.meta.json'].map((f) => join(out, f)).join(', ')}`);
  return rows;
}

/** The captures of one run. */
interface CaptureDirs {
  idle: string;
  isolated: string[];
  live: string;
}

/** Captures named on the command line, or null for the bundled ones. */
async function givenDirs(idle?: string, isolated?: string[], live?: string): Promise<CaptureDirs | null> {
  const given = [idle, isolated, live].filter((x) => x !== undefined && !(Array.isArray(x) && x.length === 0)).length;
  if (given > 0 && given < 3) throw new Error('give all of --idle DIR, --isolated DIR (one or more) and --live DIR, or none for the bundled captures');
  return given === 3 ? { idle: resolve(idle!), isolated: isolated!.map((d) => resolve(d)), live: resolve(live!) } : null;
}

/** The bundled simulated Sock Shop captures (data/sockshop). */
async function bundledSimulated(): Promise<CaptureDirs> {
  const names = (await readdir(BUNDLED)).sort();
  const pick = (prefix: string) => names.filter((d) => d.startsWith(prefix)).map((d) => join(BUNDLED, d));
  const [bundledIdle] = pick('sockshop-sim-idle');
  const [bundledLive] = pick('sockshop-sim-live');
  const bundledIsolated = pick('sockshop-sim-isolated-');
  if (!bundledIdle || !bundledLive || bundledIsolated.length === 0) throw new Error(`${BUNDLED}: bundled captures missing; run npm run data:sockshop`);
  return { idle: bundledIdle, isolated: bundledIsolated, live: bundledLive };
}

/** The bundled real captures of the polyglot shop (data/real, made by npm run capture:real). */
function bundledReal(): CaptureDirs {
  return { idle: join(REAL, 'idle'), isolated: [join(REAL, 'isolated')], live: join(REAL, 'live') };
}

/** Table 2 on both bundled sets beside the paper's: accuracy per trace, process / thread. */
function formatComparison(sim: readonly Table2Row[], real: readonly Table2Row[]): string {
  const pct = (v: number | null | undefined) => (v === null || v === undefined || Number.isNaN(v) ? '—' : `${(v * 100).toFixed(1)}%`);
  const types = [...new Set([...sim, ...real].map((r) => r.trace_type))];
  const lines = types.map((t) => {
    const a = sim.find((r) => r.trace_type === t);
    const b = real.find((r) => r.trace_type === t);
    const paper = a?.paper_acc ?? b?.paper_acc;
    return [t, pct(paper), `${pct(a?.acc_process)} / ${pct(a?.acc_thread)}`, `${pct(b?.acc_process)} / ${pct(b?.acc_thread)}`];
  });
  const head = ['trace type', 'paper', 'simulated (process / thread)', 'real (process / thread)'];
  return alignedTable('Table 2: the paper beside the kit on simulated and on real captures (accuracy per trace)', head, lines);
}

async function load(dir: string, mode: string, log: (m: string) => void): Promise<Capture> {
  const c = await loadCapture(dir);
  if (c.manifest.mode !== mode) throw new Error(`${dir}: a ${c.manifest.mode} capture given where a ${mode} capture is needed`);
  log(`loaded ${c.manifest.name} (${c.manifest.source}, ${c.manifest.mode}): ${c.spans.numRows()} spans, ${c.syscalls.numRows()} syscalls` +
    `${c.problems.total() > 0 ? `, ${c.problems.total()} problems: ${c.problems.summary().join('; ')}` : ''}`);
  return c;
}

/** How each trace's combinations were searched, from stitchTraces' table (its per-trace columns repeat on every span). */
function searchSummary(stitched: Awaited<ReturnType<typeof stitchCapture>>['stitched']) {
  const perTrace = new Map<string, { search: string; scored: number; windows: number }>();
  for (const r of stitched.objects() as { trace_id: string; search: string; scored: number; model_windows: number }[]) {
    perTrace.set(r.trace_id, { search: r.search, scored: r.scored, windows: r.model_windows });
  }
  const list = [...perTrace.values()];
  return {
    exhaustive: list.filter((t) => t.search === 'exhaustive').length,
    beam: list.filter((t) => t.search === 'beam').length,
    meanScored: list.length === 0 ? 0 : list.reduce((s, t) => s + t.scored, 0) / list.length,
    maxScored: list.reduce((m, t) => Math.max(m, t.scored), 0),
    modelWindows: list.reduce((s, t) => s + t.windows, 0),
  };
}

function dedupRatio(ws: { total: number; unique: number }[]): { total: number; unique: number; ratio: number } {
  const total = ws.reduce((s, w) => s + w.total, 0);
  const unique = ws.reduce((s, w) => s + w.unique, 0);
  return { total, unique, ratio: unique === 0 ? 1 : total / unique };
}

/** The row as written to table2.json: NaN (nothing evaluated) becomes null. */
function jsonRow(r: Table2Row): Record<string, string | number | null> {
  return Object.fromEntries(Object.entries(r).map(([k, v]) => [k, typeof v === 'number' && Number.isNaN(v) ? null : v]));
}

function emptyRow(): Table2Row {
  return { trace_type: '', services: 0, traces: 0, acc_process: NaN, acc_thread: NaN, span_acc_process: NaN, span_acc_thread: NaN, coverage: NaN, paper_services: null, paper_acc: null };
}

function toCsv(rows: readonly Table2Row[]): string {
  const cols = Object.keys(emptyRow());
  return `${[cols.join(','), ...rows.map((r) => Object.values(jsonRow(r)).map(formatCsvField).join(','))].join('\n')}\n`;
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
