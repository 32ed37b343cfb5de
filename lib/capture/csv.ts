/**
 * processes.csv and truth.csv: a small RFC-4180 CSV reader and writer. Bad rows are counted in the
 * ProblemLog with file:line and skipped; a missing or wrong header is a CaptureError.
 */
import { writeFile } from 'node:fs/promises';
import * as aq from 'arquero';
import { CaptureError, ProblemLog } from './problems';
import { readTextFile } from './text';
import { PROCESS_COLUMNS, TRUTH_COLUMNS, type Runtime, type Table } from './types';

/**
 * Splits one CSV line into its fields (RFC 4180: `"` quotes a field, `""` is a quote inside it).
 * Returns null when the line is malformed: an unterminated quote, text after a closing quote, or
 * a quote inside an unquoted field. A trailing `\r` is ignored. Quoted fields cannot span lines.
 */
export function splitCsvLine(line: string): string[] | null {
  const end = line.endsWith('\r') ? line.length - 1 : line.length;
  const fields: string[] = [];
  let i = 0;
  for (;;) {
    if (line.charCodeAt(i) === 34 /* " */) {
      let value = '';
      let j = i + 1;
      for (;;) {
        const q = line.indexOf('"', j);
        if (q < 0 || q >= end) return null;
        value += line.slice(j, q);
        if (line.charCodeAt(q + 1) === 34 && q + 1 < end) {
          value += '"';
          j = q + 2;
        } else {
          i = q + 1;
          break;
        }
      }
      fields.push(value);
      if (i === end) return fields;
      if (line.charCodeAt(i) !== 44 /* , */) return null;
      i++;
    } else {
      let comma = line.indexOf(',', i);
      if (comma < 0 || comma > end) comma = end;
      const value = line.slice(i, comma);
      if (value.includes('"')) return null;
      fields.push(value);
      if (comma === end) return fields;
      i = comma + 1;
    }
  }
}

/** Formats one CSV field: quoted when it holds a comma, quote or line break; null as empty. */
export function formatCsvField(value: string | number | null | undefined): string {
  if (value === null || value === undefined) return '';
  const text = String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

const RUNTIMES: ReadonlySet<string> = new Set<Runtime>(['go', 'java', 'node', 'python', 'mysql', 'mongodb', 'redis', 'rabbitmq', 'other']);

/**
 * Reads processes.csv (header `host,pid,service,instance,runtime`, columns in any order, extra
 * columns ignored). A row with a bad pid is skipped and counted; an unknown runtime is kept as
 * 'other' and counted; a repeated (host, pid) keeps the first row and is counted.
 */
export async function readProcesses(path: string, problems: ProblemLog): Promise<Table> {
  const rows = await readCsvRows(path, PROCESS_COLUMNS, problems);
  const cols = { host: [] as string[], pid: [] as number[], service: [] as string[], instance: [] as string[], runtime: [] as string[] };
  const seen = new Set<string>();
  for (const { line, text, fields: [host, pidText, service, instance, runtime] } of rows) {
    const pid = parseInteger(pidText);
    if (pid === null || pid < 0) {
      problems.add(path, line, 'pid is not a non-negative integer', text);
      continue;
    }
    const key = `${host}\0${pid}`;
    if (seen.has(key)) {
      problems.add(path, line, 'repeated (host, pid): first row kept', text);
      continue;
    }
    seen.add(key);
    if (!RUNTIMES.has(runtime)) problems.add(path, line, 'unknown runtime: read as "other"', text);
    cols.host.push(host);
    cols.pid.push(pid);
    cols.service.push(service);
    cols.instance.push(instance);
    cols.runtime.push(RUNTIMES.has(runtime) ? runtime : 'other');
  }
  return aq.table(cols);
}

/**
 * Reads truth.csv (header `trace_id,span_id,host,pid,tid`). Rows whose pid or tid is not an
 * integer are skipped and counted.
 */
export async function readTruth(path: string, problems: ProblemLog): Promise<Table> {
  const rows = await readCsvRows(path, TRUTH_COLUMNS, problems);
  const cols = { trace_id: [] as string[], span_id: [] as string[], host: [] as string[], pid: [] as number[], tid: [] as number[] };
  for (const { line, text, fields: [traceId, spanId, host, pidText, tidText] } of rows) {
    const pid = parseInteger(pidText);
    const tid = parseInteger(tidText);
    if (pid === null || tid === null) {
      problems.add(path, line, 'pid or tid is not an integer', text);
      continue;
    }
    cols.trace_id.push(traceId);
    cols.span_id.push(spanId);
    cols.host.push(host);
    cols.pid.push(pid);
    cols.tid.push(tid);
  }
  return aq.table(cols);
}

/** Writes processes.csv from a table with the processes columns. */
export async function writeProcesses(path: string, processes: Table): Promise<void> {
  await writeCsv(path, PROCESS_COLUMNS, processes);
}

/** Writes truth.csv from a table with the truth columns. */
export async function writeTruth(path: string, truth: Table): Promise<void> {
  await writeCsv(path, TRUTH_COLUMNS, truth);
}

/** Writes `columns` of `table` as CSV with a header line. */
async function writeCsv(path: string, columns: readonly string[], table: Table): Promise<void> {
  const getters = columns.map((c) => table.getter(c));
  const lines = [columns.join(',')];
  const n = table.numRows();
  for (let r = 0; r < n; r++) lines.push(getters.map((get) => formatCsvField(get(r))).join(','));
  await writeFile(path, `${lines.join('\n')}\n`);
}

interface CsvRow {
  line: number;
  text: string;
  /** The fields of `columns`, in that order. */
  fields: string[];
}

/**
 * Reads a CSV file whose header holds at least `columns`; returns those fields of each row.
 * Blank lines are skipped; malformed lines and lines with the wrong field count are counted.
 */
async function readCsvRows(path: string, columns: readonly string[], problems: ProblemLog): Promise<CsvRow[]> {
  const lines = (await readTextFile(path)).split('\n');
  const header = splitCsvLine(lines[0] ?? '');
  const index = columns.map((c) => header?.indexOf(c) ?? -1);
  const missing = columns.filter((_, k) => index[k] < 0);
  if (header === null || missing.length > 0) {
    throw new CaptureError(path, 1, `a header with the columns ${columns.join(',')}`, lines[0] === undefined || lines[0] === '' ? 'an empty file' : `"${lines[0]}" (missing ${missing.join(', ')})`);
  }
  const rows: CsvRow[] = [];
  for (let k = 1; k < lines.length; k++) {
    const text = lines[k];
    if (text.trim() === '') continue;
    const fields = splitCsvLine(text);
    if (fields === null) {
      problems.add(path, k + 1, 'malformed CSV line', text);
    } else if (fields.length !== header.length) {
      problems.add(path, k + 1, `expected ${header.length} fields`, text);
    } else {
      rows.push({ line: k + 1, text, fields: index.map((i) => fields[i]) });
    }
  }
  return rows;
}

function parseInteger(text: string): number | null {
  if (!/^-?\d{1,15}$/.test(text)) return null;
  return Number(text);
}
