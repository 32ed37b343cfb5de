/** HTML for figures: plotly's source from node_modules, a div plus the script that draws a figure. */
import { readFileSync } from 'node:fs';
import type { Figure } from './spec';

let plotlySource: string | undefined;

/** The path of plotly.min.js in node_modules (plotly.js-dist-min). */
export function plotlyPath(): string {
  return require.resolve('plotly.js-dist-min');
}

/** plotly.js-dist-min's version, e.g. "3.7.0". */
export function plotlyVersion(): string {
  return (require('plotly.js-dist-min/package.json') as { version: string }).version;
}

/** plotly.min.js's text (read once), for inlining in a page that must open offline. */
export function plotlyScript(): string {
  plotlySource ??= readFileSync(plotlyPath(), 'utf8');
  return plotlySource;
}

/** Text escaped for HTML content and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** JSON that is safe inside a <script> element (no "</script>", "<!--" or line separators break out). */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

/**
 * A div with the given id and the script that draws `fig` in it once `window.Plotly` exists;
 * with `cdn`, the script first loads plotly from cdn.plot.ly when the page has no Plotly (for
 * notebook viewers, where the page is not ours).
 */
export function figureDiv(fig: Figure, id: string, opts: { cdn?: boolean } = {}): string {
  const draw = `Plotly.newPlot(${scriptJson(id)}, ${scriptJson(fig.data)}, ${scriptJson(fig.layout)}, {responsive: true})`;
  const script = opts.cdn
    ? `(function () {
  var draw = function () { ${draw}; };
  if (window.Plotly) { draw(); return; }
  var s = document.createElement('script');
  s.src = ${scriptJson(`https://cdn.plot.ly/plotly-${plotlyVersion()}.min.js`)};
  s.onload = draw;
  document.head.appendChild(s);
})();`
    : `${draw};`;
  const height = typeof fig.layout.height === 'number' ? `${fig.layout.height}px` : '450px';
  return `<div class="plotly-figure" id="${escapeHtml(id)}" style="width: 100%; height: ${height};"></div>\n<script>\n${script}\n</script>`;
}
