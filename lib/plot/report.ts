/**
 * A self-contained HTML report: sections of text, interactive plotly figures and tables in one
 * file, plotly inlined once so that it opens offline, the data's SIMULATED/REAL label on top.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { escapeHtml, figureDiv, plotlyScript, plotlyVersion } from './html';
import type { Figure, FigureSource } from './spec';
import { sourceLabel } from './spec';

/** A table of a report: rows are arrays in column order, or objects keyed by column. */
export interface ReportTable {
  caption: string;
  columns: readonly string[];
  rows: readonly (readonly unknown[] | Readonly<Record<string, unknown>>)[];
}

/** One section: a heading, then text (blank lines separate paragraphs), figures, tables. */
export interface ReportSection {
  heading: string;
  text?: string;
  figures?: readonly Figure[];
  tables?: readonly ReportTable[];
}

/** What {@link writeReport} writes. */
export interface Report {
  title: string;
  /** Where the report's data comes from: shown on top of the page. */
  source: FigureSource;
  sections: readonly ReportSection[];
}

const STYLE = `body { font-family: system-ui, sans-serif; max-width: 1100px; margin: 2em auto; padding: 0 1em; color: #222; }
.source { display: inline-block; padding: 0.3em 0.8em; border-radius: 4px; font-weight: bold; letter-spacing: 0.05em; color: #fff; background: #555; }
.source.simulated { background: #b35c00; } .source.real { background: #1a7f37; }
table { border-collapse: collapse; margin: 1em 0; font-size: 0.9em; }
caption { text-align: left; font-weight: bold; padding: 0.3em 0; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
.plotly-figure { margin: 1em 0; }`;

/** A cell's text: numbers to 4 significant digits (integers whole), null and undefined empty. */
function cellText(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number') {
    if (Number.isInteger(v) || !Number.isFinite(v)) return String(v);
    return Math.abs(v) >= 1000 ? v.toFixed(1) : String(Number(v.toPrecision(4)));
  }
  if (typeof v === 'object') return JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x));
  return String(v);
}

function tableHtml(t: ReportTable): string {
  const cells = (row: ReportTable['rows'][number]) => (Array.isArray(row) ? row : t.columns.map((c) => (row as Record<string, unknown>)[c]));
  const td = (v: unknown) => `<td${typeof v === 'number' || typeof v === 'bigint' ? ' class="num"' : ''}>${escapeHtml(cellText(v))}</td>`;
  return [
    '<table>',
    `<caption>${escapeHtml(t.caption)}</caption>`,
    `<thead><tr>${t.columns.map((c) => `<th>${escapeHtml(c)}</th>`).join('')}</tr></thead>`,
    `<tbody>${t.rows.map((r) => `<tr>${cells(r).map(td).join('')}</tr>`).join('\n')}</tbody>`,
    '</table>',
  ].join('\n');
}

function textHtml(text: string): string {
  return text.split(/\n\s*\n/).map((p) => `<p>${escapeHtml(p.trim()).replace(/\n/g, '<br>')}</p>`).join('\n');
}

/** The report as one HTML page (what writeReport writes). */
export function reportHtml(report: Report): string {
  const label = sourceLabel(report.source);
  const kind = typeof report.source === 'string' ? report.source : new Set(report.source).size === 1 ? report.source[0] : 'mixed';
  let figures = 0;
  const sections = report.sections.map((s) => [
    '<section>',
    `<h2>${escapeHtml(s.heading)}</h2>`,
    s.text === undefined ? '' : textHtml(s.text),
    ...(s.figures ?? []).map((f) => figureDiv(f, `figure-${++figures}`)),
    ...(s.tables ?? []).map(tableHtml),
    '</section>',
  ].filter((x) => x !== '').join('\n'));
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${escapeHtml(`${report.title} · ${label} data`)}</title>
<style>
${STYLE}
</style>
<script>
/* plotly.js ${plotlyVersion()} (MIT license), inlined so that this page opens offline */
${plotlyScript().replace(/<\/script/gi, '<\\/script')}
</script>
</head>
<body>
<header>
<h1>${escapeHtml(report.title)}</h1>
<p class="source ${kind}">${label} data</p>
</header>
${sections.join('\n')}
</body>
</html>
`;
}

/** Writes the report to `path` (creating its folder) as one self-contained HTML file. */
export async function writeReport(path: string, report: Report): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, reportHtml(report));
}
