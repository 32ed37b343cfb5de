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
import { ACCURACY_SERIES, PLOTLY_MIME, RANGE_TRACES, chromiumAvailable } from '../../lib/plot/index';
import type { Figure } from '../../lib/plot/index';
import { PAPER_TABLE2 } from '../../lib/stitch/index';

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

/**
 * tslab's own crashes, not the notebook's: its file watcher ("Unexpected pending rebuildTimer") and
 * its Jupyter socket ("Socket is busy writing") fail now and then on a loaded machine. Such a run is
 * retried once, and says so; any other error fails the test.
 */
const KERNEL_CRASH = /Unexpected pending rebuildTimer|Socket is busy writing|Kernel died/;

function runNbconvert(name: string, retried = false): Cell[] {
  const out = mkdtempSync(join(tmpdir(), 'nb-'));
  try {
    execFileSync('jupyter', ['nbconvert', '--to', 'notebook', '--execute', '--ExecutePreprocessor.timeout=600',
      '--output-dir', out, join(NOTEBOOKS, name)], { stdio: ['ignore', 'pipe', 'pipe'] });
    return JSON.parse(readFileSync(join(out, name), 'utf8')).cells as Cell[];
  } catch (e) {
    const stderr = String((e as { stderr?: Buffer }).stderr ?? '');
    if (retried || !KERNEL_CRASH.test(stderr)) throw e;
    console.log(`# ${name}: the tslab kernel crashed (${stderr.match(KERNEL_CRASH)![0]}); running it once more`);
    return runNbconvert(name, true);
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

/** The plotly figures a notebook's cells showed, in order. */
function figures(cells: Cell[]): Figure[] {
  return cells.flatMap((c) => (c.outputs ?? []).flatMap((o) => (o.data?.[PLOTLY_MIME] ? [o.data[PLOTLY_MIME] as Figure] : [])));
}

/** The one figure whose title matches. */
function figure(cells: Cell[], title: RegExp): Figure {
  const found = figures(cells).filter((f) => title.test(f.layout.title.text));
  assert.equal(found.length, 1, `figures titled ${title}: ${figures(cells).map((f) => f.layout.title.text).join(' | ')}`);
  return found[0];
}

/** All a notebook showed, as one text. */
function allShown(name: string): string {
  return codeCells(execute(name)).map(shown).join('\n');
}

/** The kit's notebooks on the bundled captures, with the figures each must show (by title). */
const NOTEBOOK_FIGURES: Record<string, RegExp[]> = {
  '01-figure2-table1.ipynb': [/^Figure 2: trace T/, /^Likelihood of the 27 combinations/],
  '02-captures.ipynb': [/per service and host, live capture/, /per service and host, idle capture/, /A GET \/login trace of the live capture/],
  '03-idle-models.ipynb': [/^Idle models of user, catalogue, carts/, /^Idle-model scores of user/, /^Idle-model scores of catalogue/, /^Idle-model scores of carts/],
  '04-active-threads.ipynb': [/^Share of syscalls that are signal syscalls/, /^Active-thread ranges of an isolated GET \/login trace/, /^Active-thread ranges of a live GET \/orders trace/],
  '05-stitching.ipynb': [/^Likelihood of each combination of a live GET \/customers trace/, /^Stitching accuracy per trace type/],
  '06-tuning.ipynb': [/^trace accuracy, thread level by threshold and n/, /^trace accuracy, process level by threshold and n/],
  '07-use-cases.ipynb': [/^The slowest user span/, /^sendto and recvfrom calls per stitched span/],
};

/** Figures of the real captures (data/real), labelled REAL instead. */
const REAL_FIGURES: Record<string, RegExp[]> = {
  '05-stitching.ipynb': [/^Real shop: stitching accuracy per trace type/],
};

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

test('every figure of notebooks 01-07 is shown, labelled with its data source, with a static image where Chromium is', () => {
  for (const [name, titles] of Object.entries(NOTEBOOK_FIGURES)) {
    const cells = execute(name);
    const real = REAL_FIGURES[name] ?? [];
    for (const [list, label] of [[titles, 'SIMULATED'], [real, 'REAL']] as const) {
      for (const title of list) {
        const fig = figure(cells, title);
        assert.ok(fig.layout.title.text.endsWith(`· ${label} data`), `${name}: ${fig.layout.title.text} should say ${label}`);
      }
    }
    const outputs = cells.flatMap((c) => c.outputs ?? []).filter((o) => o.data?.[PLOTLY_MIME]);
    assert.equal(outputs.length, titles.length + real.length, `${name}: ${outputs.length} figures shown, ${titles.length + real.length} expected`);
    // nbconvert's HTML and GitHub show the PNG; without Chromium, show() falls back to HTML.
    for (const o of outputs) assert.ok(chromiumAvailable() ? typeof o.data!['image/png'] === 'string' && (o.data!['image/png'] as string).length > 1000 : o.data!['text/html'], `${name}: a figure without its static form`);
  }
});

test("01-figure2-table1 enumerates the paper's Table 1 and picks A1-B2-C1", () => {
  const cells = codeCells(execute('01-figure2-table1.ipynb'));
  const all = cells.map(shown).join('\n');
  assert.match(all, /combinations: 27\b/);
  // Table 1 as the paper prints it ("Aw-Bw-..."), in the kit's "service:syscall" tokens.
  const TABLE_1: [string, string][] = [
    ['A1-B1-C1', 'Aw-Bw-Bx-Cr-Cw-Bx-Ar'], ['A1-B1-C2', 'Aw-Bw-Bx-Cr-Bx-Cw-Ar'], ['A1-B1-C3', 'Aw-Bw-Bx-Bx-Cx-Ar'],
    ['A1-B2-C1', 'Aw-Br-Bw-Cr-Cw-Br-Bw-Ar'], ['A1-B2-C2', 'Aw-Br-Bw-Cr-Br-Cw-Bw-Ar'], ['A3-B3-C3', 'Ar-Br-Bw-Aw-Br-Cx'],
  ];
  for (const [combination, paper] of TABLE_1) {
    const tokens = paper.split('-').map((t) => `${t[0]}:${t.slice(1)}`).join(' ');
    assert.match(all, new RegExp(`>${combination}</td><td[^>]*>${tokens}<`), `${combination} should read ${tokens}`);
  }
  // The ranking puts the true combination first, and the stitched spans name its threads.
  assert.match(all, />1<\/td><td[^>]*>A1-B2-C1</);
  for (const thread of ['h/100/101', 'h/200/202', 'h/300/301']) assert.ok(all.includes(`>${thread}<`), `stitched thread ${thread} not shown`);
  assert.match(all, /3\/3 spans on the right thread/);
  const likelihoods = figure(execute('01-figure2-table1.ipynb'), /^Likelihood of the 27/).data[0];
  assert.equal((likelihoods.x as string[]).length, 27);
  assert.equal((likelihoods.x as string[])[0], 'A1-B2-C1');
});

test('02-captures lists every bundled capture and draws a trace over the threads that served it', () => {
  const all = allShown('02-captures.ipynb');
  const bundled = readdirSync(join(NOTEBOOKS, '..', 'data', 'sockshop')).filter((d) => d.startsWith('sockshop-'));
  for (const d of bundled) assert.ok(all.includes(`>${d}<`), `capture ${d} not listed`);
  assert.match(all, /danfo DataFrame/);
  const timeline = figure(execute('02-captures.ipynb'), /A GET \/login trace/);
  const threads = (timeline.layout.yaxis2 as { categoryarray: string[] }).categoryarray;
  // The truth table (last cell) names the serving threads: each is a row of the timeline.
  const truth = shown(codeCells(execute('02-captures.ipynb')).at(-1)!);
  const serving = [...new Set(truth.match(/node-\d+\/\d+\/\d+/g) ?? [])];
  assert.ok(serving.length > 0);
  for (const t of serving) assert.ok(threads.includes(t), `serving thread ${t} not drawn`);
  assert.ok(threads.length > serving.length, 'the timeline should show threads besides the serving ones');
});

test('03-idle-models trains an idle model per service and draws the threshold over idle and active scores', () => {
  const cells = execute('03-idle-models.ipynb');
  const all = codeCells(cells).map(shown).join('\n');
  assert.match(all, /\[idle models\] 1\/1 services \(100%\)/);
  assert.match(all, /\[idle models\] 11\/11 services \(100%\)/);
  const loss = figure(cells, /^Idle models of user/);
  assert.deepEqual(loss.data.map((d) => d.name), ['user: training loss', 'user: validation loss', 'catalogue: training loss', 'catalogue: validation loss', 'carts: training loss', 'carts: validation loss']);
  for (const service of ['user', 'catalogue', 'carts']) {
    const fig = figure(cells, new RegExp(`^Idle-model scores of ${service}`));
    const [line] = fig.layout.shapes as { x0: number }[];
    assert.equal(line.x0, 0.1);
    // Both distributions are drawn, each from some syscalls.
    for (const d of fig.data) assert.match(d.name!, /n=[1-9]\d*, \d+\.\d% below threshold/);
  }
});

test('04-active-threads draws active ranges with false-active threads, and the trace profiles', () => {
  const cells = execute('04-active-threads.ipynb');
  for (const title of [/^Active-thread ranges of an isolated GET \/login/, /^Active-thread ranges of a live GET \/orders/]) {
    const fig = figure(cells, title);
    const falseActive = fig.data.find((d) => d.name === RANGE_TRACES.falseActive)!;
    const active = fig.data.find((d) => d.name === RANGE_TRACES.active)!;
    assert.ok((falseActive.x as unknown[]).length > 0, `${title}: no false-active range drawn`);
    assert.ok((active.x as unknown[]).length > 0, `${title}: no active range drawn`);
    assert.ok(fig.data.some((d) => d.name === RANGE_TRACES.signals));
  }
  const all = codeCells(cells).map(shown).join('\n');
  for (const type of PAPER_TABLE2.map((p) => p.trace_type)) assert.match(all, new RegExp(`${type.replace(/[{}/]/g, '.')}: \\d+ isolated traces, \\d+ with every span in its profile role`));
  assert.match(all, />own \d/);
});

test("05-stitching ranks a live trace's combinations and draws Table 2 beside the paper's", () => {
  const cells = execute('05-stitching.ipynb');
  const all = codeCells(cells).map(shown).join('\n');
  assert.match(all, /Table 2 \(simulated data; accuracy per trace\)/);
  const ranking = figure(cells, /^Likelihood of each combination/).data[0];
  const ys = ranking.y as number[];
  assert.ok(ys.length >= 4 && ys.every((y, i) => i === 0 || y <= ys[i - 1]), 'combinations ranked best first');
  const acc = figure(cells, /^Stitching accuracy per trace type/);
  assert.deepEqual(acc.data.map((d) => d.name), [ACCURACY_SERIES.process, ACCURACY_SERIES.thread, ACCURACY_SERIES.paper]);
  const x = acc.data[2].x as string[];
  const paper = acc.data[2].y as (number | null)[];
  for (const p of PAPER_TABLE2) assert.equal(paper[x.indexOf(p.trace_type)], p.acc, p.trace_type);
  for (const d of acc.data.slice(0, 2)) for (const v of d.y as number[]) assert.ok(v >= 0 && v <= 1);
});

/** The rows of the first HTML table shown whose header has `column`, as objects by column name. */
function htmlTable(html: string, column: string): Record<string, string>[] {
  const table = html.split('<table>').slice(1).map((t) => t.split('</table>')[0]).find((t) => t.split('</thead>')[0].includes(`>${column}</th>`));
  assert.ok(table, `no table with a column ${column}`);
  const cellsOf = (row: string) => [...row.matchAll(/<t[hd][^>]*>(.*?)<\/t[hd]>/g)].map((m) => m[1]);
  const [head, ...rows] = table.split('<tr>').slice(1).map(cellsOf);
  return rows.map((r) => Object.fromEntries(head.map((h, i) => [h, r[i]])));
}

test('05-stitching runs the method on the real captures and shows their Table 2 beside the simulated and the paper\'s', () => {
  const cells = execute('05-stitching.ipynb');
  const all = codeCells(cells).map(shown).join('\n');
  for (const phase of ['idle', 'isolated', 'live']) assert.match(all, new RegExp(`shop-real-${phase} \\(source: real\\)`));
  assert.match(all, /Table 2 \(real data; accuracy per trace\)/);
  const pct = (v: number | null | undefined) => (v === null || v === undefined || Number.isNaN(v) ? '—' : `${(100 * v).toFixed(1)}%`);
  const bars = (fig: Figure) => (series: string, type: string) => {
    const d = fig.data.find((t) => t.name === series)!;
    return pct((d.y as (number | null)[])[(d.x as string[]).indexOf(type)]);
  };
  const sim = bars(figure(cells, /^Stitching accuracy per trace type/));
  const real = bars(figure(cells, /^Real shop: stitching accuracy/));
  const rows = htmlTable(all, 'real_acc_thread');
  // Every trace type of the paper is a row, each column read from its own run (the figures).
  for (const p of PAPER_TABLE2) assert.ok(rows.some((r) => r.trace_type === p.trace_type), `${p.trace_type} missing`);
  for (const r of rows) {
    assert.equal(r.paper_acc, pct(PAPER_TABLE2.find((p) => p.trace_type === r.trace_type)?.acc ?? null), r.trace_type);
    assert.equal(r.simulated_acc_process, sim(ACCURACY_SERIES.process, r.trace_type), r.trace_type);
    assert.equal(r.simulated_acc_thread, sim(ACCURACY_SERIES.thread, r.trace_type), r.trace_type);
    assert.equal(r.real_acc_process, real(ACCURACY_SERIES.process, r.trace_type), r.trace_type);
    assert.equal(r.real_acc_thread, real(ACCURACY_SERIES.thread, r.trace_type), r.trace_type);
  }
  // Every live trace of the real capture is evaluated: as many as its truth.csv names.
  const truth = readFileSync(join(NOTEBOOKS, '..', 'data', 'real', 'live', 'truth.csv'), 'utf8').trim().split('\n');
  const traceCol = truth[0].split(',').indexOf('trace_id');
  const liveTraces = new Set(truth.slice(1).map((l) => l.split(',')[traceCol])).size;
  assert.equal(rows.reduce((n, r) => n + Number(r.real_traces), 0), liveTraces);
});

test('06-tuning sweeps n and the threshold and shows the accuracy over the grid', () => {
  const cells = execute('06-tuning.ipynb');
  for (const title of [/thread level by threshold and n/, /process level by threshold and n/]) {
    const [heat] = figure(cells, title).data;
    const z = heat.z as number[][];
    assert.deepEqual([z.length, z[0].length], [(heat.y as unknown[]).length, (heat.x as unknown[]).length]);
    assert.ok(z.length >= 2 && z[0].length >= 3);
    for (const v of z.flat()) assert.ok(v >= 0 && v <= 1);
  }
  const all = codeCells(cells).map(shown).join('\n');
  assert.match(all, /best point: n = \d+, threshold = [\d.]+/);
  assert.match(all, /defaults: +n = 10, threshold = 0\.1:/);
});

test('07-use-cases shows a span\'s stitched syscalls, sendto/recvfrom per span and a Jaeger export that reads back', () => {
  const cells = execute('07-use-cases.ipynb');
  const all = codeCells(cells).map(shown).join('\n');
  assert.match(all, /served by thread node-\d+\/\d+\/\d+; its \d+ syscalls in the span: [a-z_]+/);
  assert.match(all, /read back \d+ spans, problems: 0/);
  for (const tag of ['deepstitch.tid', 'syscalls.count', 'syscalls.counts']) assert.ok(all.includes(`>${tag}<`), `tag ${tag} not shown`);
  const bars = figure(cells, /^sendto and recvfrom/);
  assert.deepEqual(bars.data.map((d) => d.name).sort(), ['recvfrom', 'sendto']);
});
