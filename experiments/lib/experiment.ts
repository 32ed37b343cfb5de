/**
 * What an experiment is (a name, a one-line summary, a run that returns rows and figures), the
 * options every experiment takes, and how its results are written: results/<name>/<name>.json (the
 * whole result: settings, rows, figures), <name>.csv (the rows), <name>.html (its own report), with
 * the finished units under results/<name>/points/ (store.ts).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Figure, ReportSection } from '../../lib/plot/index';
import { writeReport } from '../../lib/plot/index';
import type { OnProgress, ScorerKind } from '../../lib/stitch/index';
import { terminalProgress } from '../../lib/stitch/progress';
import { PointStore, nanAsNull } from './store';
import { toCsv } from './summary';

/** Options every experiment takes (the command line's). */
export interface ExperimentOptions {
  /** Where results/<name>/ goes (default: the kit's results/). */
  resultsDir: string;
  /** Recompute every unit, ignoring stored ones. */
  fresh: boolean;
  /** Few runs, short captures, few points: for tests and a first look. */
  quick: boolean;
  scorer: ScorerKind;
  /** Runs per point (each experiment has its own default). */
  runs?: number;
  /** Seed of the live captures (default 1). */
  seed: number;
  /** Live capture length in s (default 0.5; quick 0.3). */
  durationS?: number;
}

/** What an experiment's run sees. */
export interface ExperimentContext extends ExperimentOptions {
  /** Its finished units. */
  store: PointStore;
  onProgress: OnProgress;
  log: (msg: string) => void;
}

/** What an experiment's run returns. */
export interface ExperimentResult {
  title: string;
  /** What was measured and how to read it (paragraphs separated by blank lines). */
  text: string;
  settings: Record<string, unknown>;
  /** The rows (the CSV's columns, in order). */
  columns: readonly string[];
  rows: readonly Record<string, unknown>[];
  figures: readonly Figure[];
}

/** An experiment of `npm run experiments`. */
export interface Experiment {
  name: string;
  /** One line, for the list. */
  summary: string;
  run(ctx: ExperimentContext): Promise<ExperimentResult>;
}

/** What results/<name>/<name>.json holds. */
export interface StoredResult extends ExperimentResult {
  name: string;
  /** Every experiment stitches simulated captures. */
  source: 'simulated';
  /** Wall time of the invocation that wrote it (stored units are not recomputed, so a resumed run is shorter). */
  seconds: number;
  finishedAt: string;
}

/** The default live capture length in s (quick mode: {@link QUICK_DURATION_S}). */
export const DEFAULT_DURATION_S = 0.5;
export const QUICK_DURATION_S = 0.3;

/** The live capture length an experiment uses under these options. */
export function durationOf(opts: ExperimentOptions): number {
  return opts.durationS ?? (opts.quick ? QUICK_DURATION_S : DEFAULT_DURATION_S);
}

/** Runs per point: --runs, else the quick count, else the experiment's default. */
export function runsOf(opts: ExperimentOptions, dflt: number, quick = 2): number {
  return opts.runs ?? (opts.quick ? quick : dflt);
}

/** Runs one experiment and writes its results; returns the path of its JSON. */
export async function runExperiment(exp: Experiment, opts: ExperimentOptions): Promise<string> {
  const dir = join(opts.resultsDir, exp.name);
  await mkdir(dir, { recursive: true });
  const started = performance.now();
  const log = (msg: string) => process.stderr.write(`${msg}\n`);
  const store = await PointStore.open(dir, opts.fresh);
  const result = await exp.run({ ...opts, store, onProgress: terminalProgress(), log });
  const seconds = (performance.now() - started) / 1000;
  const stored: StoredResult = { name: exp.name, source: 'simulated', ...result, settings: { ...result.settings, code: store.code }, seconds, finishedAt: new Date().toISOString() };
  const json = join(dir, `${exp.name}.json`);
  await writeFile(json, `${JSON.stringify(stored, nanAsNull, 1)}\n`);
  await writeFile(join(dir, `${exp.name}.csv`), toCsv(result.rows, result.columns));
  await writeReport(join(dir, `${exp.name}.html`), { title: result.title, source: 'simulated', sections: [resultSection(stored)] });
  log(`${exp.name}: ${store.computed} units computed, ${store.reused} reused, ${seconds.toFixed(1)} s; wrote ${dir}/${exp.name}.{json,csv,html}`);
  return json;
}

/** A stored result as a report section: its text and settings, its figures, its rows. */
export function resultSection(r: StoredResult): ReportSection {
  const settings = Object.entries(r.settings).map(([k, v]) => `${k} = ${typeof v === 'object' ? JSON.stringify(v) : String(v)}`).join(', ');
  return {
    heading: `${r.title} (${r.name}; simulated data)`,
    text: `${r.text}\n\nSettings: ${settings}. Written ${r.finishedAt} in ${r.seconds.toFixed(1)} s (stored units are reused, so a resumed run is shorter).`,
    figures: r.figures,
    tables: [{ caption: `${r.name} (simulated data)`, columns: r.columns, rows: r.rows }],
  };
}
