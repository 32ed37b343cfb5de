/**
 * results/report.html: the main job's Table 2 (results/table2.json, and results/real/table2.json
 * on the real captures, when the main job has written them, side by side with the paper's) and
 * every experiment's results (results/<name>/<name>.json) with their figures, in one
 * self-contained page, labelled as simulated data.
 */
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { accuracyFigure, writeReport, type ReportSection } from '../../lib/plot/index';
import type { DataSource } from '../../lib/plot/index';
import { resultSection, type StoredResult } from './experiment';
import { EXPERIMENTS } from './registry';

/** What {@link gatherReport} found and wrote. */
export interface GatheredReport {
  path: string;
  /** Whether results/table2.json was there. */
  table2: boolean;
  /** Whether results/real/table2.json (the main job on the real captures) was there. */
  real: boolean;
  /** The experiments included, in report order. */
  experiments: string[];
}

/** Reads a JSON file, or undefined when it does not exist. */
async function readJson<T>(path: string): Promise<T | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  try {
    return JSON.parse(text) as T;
  } catch (e) {
    throw new Error(`${path}: not valid JSON (${(e as Error).message}); rerun what writes it`);
  }
}

/**
 * Writes `resultsDir`/report.html from what `resultsDir` holds: the main job's Table 2 first (with
 * its source from table2.meta.json), then every experiment with results, the registry's order first
 * and any other result folder after, by name. Returns the page's path and what it holds.
 */
export async function gatherReport(resultsDir: string): Promise<GatheredReport> {
  const sections: ReportSection[] = [];
  const sources = new Set<DataSource>();
  // The main job writes Table 2 of the simulated set in resultsDir and of the real set in resultsDir/real.
  const main = await table2Section(resultsDir, 'table2.json', sources);
  const real = await table2Section(join(resultsDir, 'real'), 'real/table2.json', sources);
  for (const t of [main, real]) if (t) sections.push(t.section);
  if (main && real) sections.push(comparisonSection(main.rows, real.rows));
  const known = EXPERIMENTS.map((e) => e.name);
  const dirs = (await readdir(resultsDir, { withFileTypes: true })).filter((d) => d.isDirectory() && d.name !== 'real').map((d) => d.name);
  const order = [...known.filter((n) => dirs.includes(n)), ...dirs.filter((n) => !known.includes(n)).sort()];
  const included: string[] = [];
  for (const name of order) {
    const r = await readJson<StoredResult>(join(resultsDir, name, `${name}.json`));
    if (r === undefined) continue;
    sources.add(r.source);
    sections.push(resultSection(r));
    included.push(name);
  }
  if (sections.length === 0) sections.push({ heading: 'No results yet', text: 'Run npm run reproduce, or npm run experiments -- NAME.' });
  const path = join(resultsDir, 'report.html');
  await writeReport(path, { title: 'Deepstitch Kit: Table 2 and experiments', source: sources.size > 0 ? [...sources] : 'simulated', sections });
  return { path, table2: main !== undefined, real: real !== undefined, experiments: included };
}

type Row = Record<string, unknown>;

/** The section of a main job's Table 2 in `dir` (table2.json and table2.meta.json), if there is one. */
async function table2Section(dir: string, label: string, sources: Set<DataSource>): Promise<{ rows: Row[]; section: ReportSection } | undefined> {
  const rows = await readJson<Row[]>(join(dir, 'table2.json'));
  if (rows === undefined) return undefined;
  const meta = (await readJson<{ source?: string; n?: number; threshold?: number; scorer?: string; seconds?: number }>(join(dir, 'table2.meta.json'))) ?? {};
  const source: DataSource[] = (meta.source ?? 'simulated').split(' + ').filter((s): s is DataSource => s === 'simulated' || s === 'real');
  for (const s of source) sources.add(s);
  const columns = Object.keys(rows[0] ?? {});
  return {
    rows,
    section: {
      heading: `Table 2, the main job (${source.join(' + ')} data)`,
      text: `npm run reproduce on one live capture: accuracy per trace at process and thread level beside the paper's Table 2 (${label})${meta.scorer === undefined ? '' : `; n = ${meta.n}, threshold = ${meta.threshold}, scorer ${meta.scorer}, ${meta.seconds?.toFixed(1)} s`}.`,
      figures: [accuracyFigure({ rows: rows as never, source: source.length > 0 ? source : 'simulated' })],
      tables: [{ caption: `Table 2 (${label})`, columns, rows }],
    },
  };
}

/** The paper, the simulated set and the real set side by side, per trace type. */
function comparisonSection(sim: readonly Row[], real: readonly Row[]): ReportSection {
  const types = [...new Set([...sim, ...real].map((r) => r.trace_type as string))];
  const get = (rows: readonly Row[], t: string, k: string) => (rows.find((r) => r.trace_type === t)?.[k] ?? null) as number | null;
  return {
    heading: 'Table 2: the paper, simulated and real captures side by side',
    text: 'Accuracy per trace. Simulated: the bundled simulated Sock Shop (data/sockshop); real: the polyglot shop recorded on a real kernel (data/real, experiments/capture).',
    tables: [{
      caption: 'Table 2 beside the paper (simulated and real)',
      columns: ['trace_type', 'paper_acc', 'simulated_acc_process', 'simulated_acc_thread', 'real_acc_process', 'real_acc_thread'],
      rows: types.map((t) => [t, get(sim, t, 'paper_acc') ?? get(real, t, 'paper_acc'), get(sim, t, 'acc_process'), get(sim, t, 'acc_thread'), get(real, t, 'acc_process'), get(real, t, 'acc_thread')]),
    }],
  };
}
