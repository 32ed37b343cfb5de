/**
 * results/report.html: the main job's Table 2 (results/table2.json, when the main job has written
 * it) and every experiment's results (results/<name>/<name>.json) with their figures, in one
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
  const rows = await readJson<Record<string, unknown>[]>(join(resultsDir, 'table2.json'));
  if (rows !== undefined) {
    const meta = (await readJson<{ source?: string; n?: number; threshold?: number; scorer?: string; seconds?: number }>(join(resultsDir, 'table2.meta.json'))) ?? {};
    const source: DataSource[] = (meta.source ?? 'simulated').split(' + ').filter((s): s is DataSource => s === 'simulated' || s === 'real');
    for (const s of source) sources.add(s);
    const columns = Object.keys(rows[0] ?? {});
    sections.push({
      heading: `Table 2, the main job (${source.join(' + ')} data)`,
      text: `npm run reproduce on one live capture: accuracy per trace at process and thread level beside the paper's Table 2 (results/table2.json)${meta.scorer === undefined ? '' : `; n = ${meta.n}, threshold = ${meta.threshold}, scorer ${meta.scorer}, ${meta.seconds?.toFixed(1)} s`}.`,
      figures: [accuracyFigure({ rows: rows as never, source: source.length > 0 ? source : 'simulated' })],
      tables: [{ caption: 'Table 2 (results/table2.json)', columns, rows }],
    });
  }
  const known = EXPERIMENTS.map((e) => e.name);
  const dirs = (await readdir(resultsDir, { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => d.name);
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
  return { path, table2: rows !== undefined, experiments: included };
}
