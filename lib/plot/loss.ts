/** Loss curves of model training (one history, or several named ones such as one per service). */
import type { FigureSource, Figure, Trace } from './spec';
import { PALETTE, figureTitle } from './spec';

/** One epoch of a history (lib/nn's EpochProgress has these fields). */
export interface LossPoint {
  epoch: number;
  loss: number;
  /** Validation loss; null or absent without validation. */
  valLoss?: number | null;
}

/** Options of {@link lossFigure}. */
export interface LossOptions {
  /** The data the models were trained on, for the title. */
  source?: FigureSource;
  title?: string;
  /** Log-scale loss axis (default false). */
  logY?: boolean;
}

/**
 * Training loss per epoch (solid) and validation loss (dashed, same colour) for one history or
 * for each of several named ones (`{ user: history.epochs, cart: ... }`).
 */
export function lossFigure(history: readonly LossPoint[] | Readonly<Record<string, readonly LossPoint[]>>, opts: LossOptions = {}): Figure {
  const named: [string, readonly LossPoint[]][] = Array.isArray(history) ? [['', history as readonly LossPoint[]]] : Object.entries(history);
  const data: Trace[] = [];
  const text = opts.title ?? 'Training loss per epoch';
  const lastEpoch = named.reduce((m, [, points]) => points.reduce((k, p) => Math.max(k, p.epoch), m), 1);
  named.forEach(([name, points], i) => {
    const color = PALETTE[i % PALETTE.length];
    const prefix = name === '' ? '' : `${name}: `;
    data.push({ type: 'scatter', mode: 'lines+markers', name: `${prefix}training loss`, x: points.map((p) => p.epoch), y: points.map((p) => p.loss), line: { color, dash: 'solid' } });
    const val = points.filter((p) => p.valLoss !== undefined && p.valLoss !== null);
    if (val.length > 0) data.push({ type: 'scatter', mode: 'lines+markers', name: `${prefix}validation loss`, x: val.map((p) => p.epoch), y: val.map((p) => p.valLoss), line: { color, dash: 'dash' } });
  });
  return {
    data,
    layout: {
      title: opts.source === undefined ? { text } : figureTitle(text, opts.source),
      // Whole epochs only: a tick every k epochs, about ten ticks.
      xaxis: { title: { text: 'epoch' }, tick0: 1, dtick: Math.max(1, Math.ceil(lastEpoch / 10)) },
      yaxis: { title: { text: 'loss (cross-entropy)' }, type: opts.logY ? 'log' : 'linear' },
    },
  };
}
