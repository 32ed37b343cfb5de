/**
 * A danfojs DataFrame view of a table, for those who prefer its API. The kit's own store stays
 * arquero; danfojs-node is loaded on first use, so the kit runs without it.
 */
import type { DataFrame } from 'danfojs-node';
import type { Table } from './types';

type Danfo = typeof import('danfojs-node');
let danfo: Danfo | undefined;

/**
 * Copies a table (its filtered, ordered rows) into a danfojs DataFrame. Columns become plain
 * arrays; BigInt values become numbers when exact, else decimal strings.
 */
export function toDanfo(table: Table): DataFrame {
  // require, not import: loaded only when asked for (it pulls in TensorFlow.js).
  danfo ??= require('danfojs-node') as Danfo;
  const columns: Record<string, unknown[]> = {};
  for (const name of table.columnNames()) {
    columns[name] = Array.from(table.array(name) as ArrayLike<unknown>, (v) =>
      typeof v === 'bigint' ? (v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString()) : v);
  }
  return new danfo.DataFrame(columns);
}
