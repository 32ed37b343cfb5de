/**
 * Showing a figure in a tslab notebook, as one Jupyter output holding several forms of it: the
 * plotly JSON (JupyterLab with plotly, VS Code draw it interactively), a static image made with
 * Chromium (what nbconvert's HTML and GitHub show), and plain text. Without Chromium the image is
 * replaced by an HTML div that draws the figure with plotly.
 */
import { createHash } from 'node:crypto';
import { figureDiv } from './html';
import type { ImageOptions } from './image';
import { chromiumAvailable, renderImage } from './image';
import type { Figure } from './spec';

/** Jupyter's MIME type for plotly figures. */
export const PLOTLY_MIME = 'application/vnd.plotly.v1+json';

/** One output in several MIME types (Jupyter's display_data `data`): the viewer picks the one it can show. */
export type MimeBundle = Record<string, unknown>;

/** Options of {@link show} and {@link mimeBundle}: the static image's format and size. */
export type ShowOptions = ImageOptions;

/** In a notebook the kernel lives on, so the browser waits longer for the next figure. */
const NOTEBOOK_IDLE_MS = 10 * 60_000;

/** tslab's writer of one display output (update: replace the output with the same transient display_id). */
export type WriteDisplayData = (msg: { data: MimeBundle; metadata: Record<string, unknown>; transient: Record<string, unknown> }, update: boolean) => void;

let shown = 0;

/** The figure's one-line description: its title, and its trace count. */
export function figureText(fig: Figure): string {
  return `[figure] ${fig.layout.title.text} (${fig.data.length} trace${fig.data.length === 1 ? '' : 's'})`;
}

/**
 * The forms of a figure for a notebook output: plotly JSON and text always, plus a PNG (base64)
 * or SVG drawn by Chromium where it is installed, else an HTML div that draws it with plotly
 * (loaded from cdn.plot.ly when the viewer's page has none). A Chromium failure is reported
 * on stderr and falls back to the HTML too.
 */
export async function mimeBundle(fig: Figure, opts: ShowOptions = {}): Promise<MimeBundle> {
  const bundle: MimeBundle = { [PLOTLY_MIME]: fig, 'text/plain': figureText(fig) };
  if (chromiumAvailable()) {
    try {
      if (opts.format === 'svg') bundle['image/svg+xml'] = await renderImage(fig, { ...opts, format: 'svg' });
      else bundle['image/png'] = (await renderImage(fig, { ...opts, format: 'png' })).toString('base64');
      return bundle;
    } catch (e) {
      console.error(`show: no static image of "${fig.layout.title.text}" (${(e as Error).message}); showing it as HTML`);
    }
  }
  // Ids from the content and a counter: stable across runs, distinct within one page.
  const id = `deepstitch-plot-${createHash('sha1').update(JSON.stringify(fig)).digest('hex').slice(0, 10)}-${++shown}`;
  bundle['text/html'] = figureDiv(fig, id, { cdn: true });
  return bundle;
}

/** tslab's writer of display outputs when this code runs in a tslab kernel cell, else null. */
export function notebookWriter(): WriteDisplayData | null {
  // tslab's public display API sends one MIME type per output; its writer sends a bundle. Look
  // it up only where the kernel has loaded it, so that scripts never load tslab.
  let path: string;
  try {
    path = require.resolve('tslab/dist/jupyter');
  } catch {
    return null;
  }
  const writer = (require.cache[path]?.exports as { lastWriteDisplayData?: WriteDisplayData | null } | undefined)?.lastWriteDisplayData;
  return typeof writer === 'function' ? writer : null;
}

/**
 * Shows a figure: in a tslab notebook, as one output with its plotly JSON, a static image and
 * text (see mimeBundle; `await` it so that the output lands in its cell); elsewhere, prints its
 * one-line description and draws nothing. Resolves to nothing, so a notebook cell ending with
 * it prints no value.
 */
export async function show(fig: Figure, opts: ShowOptions = {}): Promise<void> {
  const write = notebookWriter();
  if (write === null) console.log(figureText(fig));
  else write({ data: await mimeBundle(fig, { idleMs: NOTEBOOK_IDLE_MS, ...opts }), metadata: {}, transient: {} }, false);
}
