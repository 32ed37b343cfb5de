/**
 * Every notebook executes headless with the kit's kernel, as a reader would run it, and its
 * outputs hold what the notebook promises. Needs `npm run setup` (Jupyter and the kernel).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

interface Output { output_type: string; text?: string | string[]; data?: Record<string, unknown>; ename?: string; evalue?: string }
interface Cell { cell_type: string; source: string | string[]; outputs?: Output[] }

const NOTEBOOKS = join(__dirname, '..', '..', 'notebooks');

const executed = new Map<string, Cell[]>();

/** Runs a notebook with nbconvert (once per test run) and returns its executed cells. */
function execute(name: string): Cell[] {
  let cells = executed.get(name);
  if (!cells) {
    cells = runNbconvert(name);
    executed.set(name, cells);
  }
  return cells;
}

function runNbconvert(name: string): Cell[] {
  const out = mkdtempSync(join(tmpdir(), 'nb-'));
  try {
    execFileSync('jupyter', ['nbconvert', '--to', 'notebook', '--execute', '--ExecutePreprocessor.timeout=600',
      '--output-dir', out, join(NOTEBOOKS, name)], { stdio: ['ignore', 'pipe', 'pipe'] });
    return JSON.parse(readFileSync(join(out, name), 'utf8')).cells as Cell[];
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

/** All text a cell showed: streams and text/plain, text/html results. */
function shown(cell: Cell): string {
  const join2 = (t: unknown) => (Array.isArray(t) ? t.join('') : typeof t === 'string' ? t : '');
  return (cell.outputs ?? []).map((o) => join2(o.text) + join2(o.data?.['text/plain']) + join2(o.data?.['text/html'])).join('\n');
}

function codeCells(cells: Cell[]): Cell[] {
  return cells.filter((c) => c.cell_type === 'code');
}

test('jupyter and the deepstitch-ts kernel are installed (npm run setup)', () => {
  const list = execFileSync('jupyter', ['kernelspec', 'list'], { encoding: 'utf8' });
  assert.match(list, /deepstitch-ts/);
});

test('every notebook is committed with outputs and executes without an error', () => {
  const names = readdirSync(NOTEBOOKS).filter((f) => f.endsWith('.ipynb')).sort();
  assert.ok(names.length > 0);
  for (const name of names) {
    const committed = JSON.parse(readFileSync(join(NOTEBOOKS, name), 'utf8')).cells as Cell[];
    assert.ok(codeCells(committed).some((c) => (c.outputs ?? []).length > 0), `${name} is committed without outputs`);
    const cells = execute(name);
    for (const cell of codeCells(cells)) {
      const err = (cell.outputs ?? []).find((o) => o.output_type === 'error');
      assert.equal(err, undefined, `${name}: ${err?.ename}: ${err?.evalue}`);
    }
  }
});

test('00-load-capture shows the capture tables in both views', () => {
  const cells = codeCells(execute('00-load-capture.ipynb'));
  const all = cells.map(shown).join('\n');
  // The manifest says what the capture is, and every table is shown with its columns.
  assert.match(all, /source: real/);
  for (const col of ['trace_type', 'start_ns', 'ts_ns', 'syscall', 'service', 'tid']) assert.ok(all.includes(col), `no column ${col} shown`);
  assert.match(all, /danfo/i);
  assert.match(all, /problems/i);
  // The last section simulates a capture and loads it back, with nothing the loader could not use.
  assert.match(all, /sockshop-sim-live-c4 \(source: simulated\): \d+ spans in \d+ traces, \d+ syscalls, problems: 0/);
});
