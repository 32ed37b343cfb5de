/** The figure builders on small hand-made tables: traces, axes, labels and the source label. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as aq from 'arquero';
import {
  ACCURACY_SERIES, OTHER_SYSCALLS, RANGE_TRACES, accuracyFigure, activeRangesFigure, heatmapFigure,
  lossFigure, sourceLabel, thresholdsFigure, timelineFigure,
} from '../../lib/plot/index';
import type { Figure, Trace } from '../../lib/plot/index';

const byName = (fig: Figure, name: string): Trace => {
  const t = fig.data.find((d) => d.name === name);
  assert.ok(t, `no trace named ${name}; have ${fig.data.map((d) => d.name).join(', ')}`);
  return t;
};
const axis = (fig: Figure, key: string) => fig.layout[key] as Record<string, unknown>;

/** ns from the capture origin for `ms` after a first span at 1 s (relative times are numbers). */
const at = (ms: number) => 1e9 + ms * 1e6;

// A trace: front-end 0-10 ms; user serves two parallel spans (1-4 ms and 5-7 ms): its thread 31
// serves the first, so it is false-active for the second, and thread 33 the reverse.
const SPANS = [
  { span_id: 'a', service: 'front-end', operation: 'GET /orders', start_ns: at(0), end_ns: at(10) },
  { span_id: 'b', service: 'user', operation: 'GET /customers', start_ns: at(1), end_ns: at(4) },
  { span_id: 'd', service: 'user', operation: 'GET /customers', start_ns: at(5), end_ns: at(7) },
];
const RANGES = [
  { span_id: 'd', thread: 'user/2/31', first_ns: at(1.5), last_ns: at(3.5), false_active: true },
  { span_id: 'b', thread: 'user/2/31', first_ns: at(1.5), last_ns: at(3.5), false_active: false },
  { span_id: 'd', thread: 'user/2/33', first_ns: at(5.5), last_ns: at(6.5), false_active: false },
];

test('sourceLabel names one source or several, and refuses anything else', () => {
  assert.equal(sourceLabel('simulated'), 'SIMULATED');
  assert.equal(sourceLabel('real'), 'REAL');
  assert.equal(sourceLabel(['simulated', 'real', 'simulated']), 'REAL + SIMULATED');
  assert.throws(() => sourceLabel('mixed' as never), /'simulated' or 'real'/);
  assert.throws(() => sourceLabel(undefined as never), /got undefined/);
  assert.throws(() => sourceLabel([]), /empty/);
});

test('thresholdsFigure bins idle and active scores on a log axis with the threshold line at its x', () => {
  // 10 bins of 0.1 over [0, 1] (values off the bin edges: Float32 0.9 is 0.8999...): idle 0.85 -> bin 8,
  // 0.93 and 0.97 -> bin 9; active 0.01, 0.05 -> bin 0, 0.55 -> 5, 0.92 -> 9.
  const fig = thresholdsFigure({ idle: Float32Array.from([0.93, 0.97, 0.85, NaN]), active: [0.01, 0.05, 0.55, 0.92], threshold: 0.1, source: 'simulated', service: 'user', bins: 10 });
  assert.match(fig.layout.title.text, /SIMULATED/);
  assert.match(fig.layout.title.text, /user/);
  const [idle, active] = fig.data;
  assert.equal(idle.type, 'bar');
  assert.deepEqual(idle.y, [0, 0, 0, 0, 0, 0, 0, 0, 1, 2]);
  assert.deepEqual(active.y, [2, 0, 0, 0, 0, 1, 0, 0, 0, 1]);
  const centres = idle.x as number[];
  assert.ok(Math.abs(centres[0] - 0.05) < 1e-12 && Math.abs(centres[9] - 0.95) < 1e-12);
  // The legend counts what was left out and the share of signal syscalls.
  assert.match(idle.name!, /n=3, 0\.0% below threshold, 1 unscored left out/);
  assert.match(active.name!, /n=4, 50\.0% below threshold\)/);
  assert.equal(axis(fig, 'yaxis').type, 'log');
  assert.equal(fig.layout.barmode, 'overlay');
  const [line] = fig.layout.shapes as { type: string; x0: number; x1: number; yref: string }[];
  assert.deepEqual([line.type, line.x0, line.x1, line.yref], ['line', 0.1, 0.1, 'paper']);
});

test('thresholdsFigure widens the bins to scores outside [0, 1]', () => {
  const fig = thresholdsFigure({ idle: [2], active: [-1], threshold: 0.5, source: 'real', bins: 3 });
  assert.deepEqual(axis(fig, 'xaxis').range, [-1, 2]);
  assert.deepEqual(fig.data[0].y, [0, 0, 1]);
  assert.deepEqual(fig.data[1].y, [1, 0, 0]);
  assert.match(fig.layout.title.text, /REAL data/);
});

test('activeRangesFigure: spans as bars, one row per thread and span, false-active ranges styled apart', () => {
  const signals = [
    { thread: 'user/2/31', ts_ns: at(1.5) },
    { thread: 'user/2/31', ts_ns: at(3.5) },
    { thread: 'user/2/31', ts_ns: at(500) }, // outside the trace: not drawn
    { thread: 'user/2/33', ts_ns: at(6) },
  ];
  const fig = activeRangesFigure({ spans: aq.from(SPANS), ranges: RANGES, signals, source: 'real' });
  assert.match(fig.layout.title.text, /REAL data/);
  // Bars: one trace per service, ms from the first span; the repeated span label gets "#2".
  const user = byName(fig, 'user');
  assert.deepEqual(user.y, ['user GET /customers', 'user GET /customers #2']);
  assert.deepEqual(user.base, [1, 5]);
  assert.deepEqual(user.x, [3, 2]);
  assert.equal(user.orientation, 'h');
  assert.deepEqual(axis(fig, 'yaxis').categoryarray, ['front-end GET /orders', 'user GET /customers', 'user GET /customers #2']);
  // Rows below: by span, then by range start.
  assert.deepEqual(axis(fig, 'yaxis2').categoryarray, ['user/2/31 ▸ user GET /customers', 'user/2/31 ▸ user GET /customers #2', 'user/2/33 ▸ user GET /customers #2']);
  const active = byName(fig, RANGE_TRACES.active);
  const falseActive = byName(fig, RANGE_TRACES.falseActive);
  assert.deepEqual(active.x, [1.5, 3.5, null, 5.5, 6.5, null]);
  assert.deepEqual(active.y, ['user/2/31 ▸ user GET /customers', 'user/2/31 ▸ user GET /customers', null, 'user/2/33 ▸ user GET /customers #2', 'user/2/33 ▸ user GET /customers #2', null]);
  assert.deepEqual(falseActive.y, ['user/2/31 ▸ user GET /customers #2', 'user/2/31 ▸ user GET /customers #2', null]);
  const [al, fl] = [active.line, falseActive.line] as { color: string; dash: string }[];
  assert.notEqual(al.dash, fl.dash);
  assert.notEqual(al.color, fl.color);
  assert.equal(active.yaxis, 'y2');
  // Signals: thread 31's two in-window signals on both of its rows, thread 33's one on its row.
  const ticks = byName(fig, RANGE_TRACES.signals);
  assert.equal((ticks.x as number[]).length, 5);
  assert.deepEqual([...(ticks.x as number[])].sort((a, b) => a - b), [1.5, 1.5, 3.5, 3.5, 6]);
});

test('activeRangesFigure names a range whose span is missing and a missing column', () => {
  assert.throws(() => activeRangesFigure({ spans: SPANS, ranges: [{ ...RANGES[0], span_id: 'zz' }], source: 'simulated' }), /span zz/);
  const within = aq.from(RANGES.map(({ false_active, ...r }) => ({ ...r, within: !false_active })));
  assert.throws(() => activeRangesFigure({ spans: SPANS, ranges: within, source: 'simulated' }), /no column false_active/);
});

test('accuracyFigure: grouped bars whose values are the rows\' accuracies and the paper\'s', () => {
  const rows = [
    { trace_type: 'GET /orders', acc_process: 0.8, acc_thread: 0.6, paper_acc: 0.9138 },
    { trace_type: 'GET /cart', acc_process: 0.5, acc_thread: 0.25, paper_acc: null },
  ];
  for (const input of [rows, aq.from(rows)]) {
    const fig = accuracyFigure({ rows: input, source: 'simulated' });
    assert.equal(fig.layout.barmode, 'group');
    assert.match(fig.layout.title.text, /SIMULATED/);
    assert.deepEqual(fig.data.map((d) => d.name), [ACCURACY_SERIES.process, ACCURACY_SERIES.thread, ACCURACY_SERIES.paper]);
    for (const d of fig.data) assert.deepEqual(d.x, ['GET /orders', 'GET /cart']);
    assert.deepEqual(byName(fig, ACCURACY_SERIES.process).y, [0.8, 0.5]);
    assert.deepEqual(byName(fig, ACCURACY_SERIES.thread).y, [0.6, 0.25]);
    const paper = byName(fig, ACCURACY_SERIES.paper);
    assert.deepEqual(paper.y, [0.9138, null]);
    assert.deepEqual(paper.text, ['91%', '']);
  }
});

test('lossFigure: training solid and validation dashed in one colour per history', () => {
  const one = lossFigure([{ epoch: 1, loss: 2 }, { epoch: 2, loss: 1 }]);
  assert.equal(one.data.length, 1);
  assert.deepEqual([one.data[0].x, one.data[0].y], [[1, 2], [2, 1]]);
  assert.doesNotMatch(one.layout.title.text, /SIMULATED|REAL/);
  const two = lossFigure({
    user: [{ epoch: 1, loss: 2, valLoss: 2.5 }, { epoch: 2, loss: 1, valLoss: null }],
    cart: [{ epoch: 1, loss: 3 }],
  }, { source: 'simulated', logY: true });
  assert.deepEqual(two.data.map((d) => d.name), ['user: training loss', 'user: validation loss', 'cart: training loss']);
  const [train, val, cart] = two.data.map((d) => d.line as { color: string; dash: string });
  assert.equal(train.color, val.color);
  assert.notEqual(train.color, cart.color);
  assert.deepEqual([train.dash, val.dash], ['solid', 'dash']);
  assert.deepEqual(two.data[1].x, [1]); // the epoch without validation is left out
  assert.equal(axis(two, 'yaxis').type, 'log');
  assert.match(two.layout.title.text, /SIMULATED/);
});

test('heatmapFigure keeps z[i][j] at (x[j], y[i]) and checks the grid', () => {
  const fig = heatmapFigure({ x: [0.05, 0.1, 0.2], y: [3, 5], z: [[0.1, 0.2, 0.3], [0.4, null, 0.6]], xTitle: 'threshold', yTitle: 'n', zTitle: 'accuracy', source: 'real' });
  const [h] = fig.data;
  assert.equal(h.type, 'heatmap');
  assert.deepEqual(h.x, ['0.05', '0.1', '0.2']);
  assert.deepEqual(h.y, ['3', '5']);
  assert.deepEqual(h.z, [[0.1, 0.2, 0.3], [0.4, null, 0.6]]);
  assert.equal((h.colorbar as { title: { text: string } }).title.text, 'accuracy');
  assert.equal((axis(fig, 'xaxis').title as { text: string }).text, 'threshold');
  assert.match(fig.layout.title.text, /accuracy by threshold and n · REAL data/);
  assert.throws(() => heatmapFigure({ x: [1, 2], y: [1], z: [[1]], xTitle: 'a', yTitle: 'b', zTitle: 'c', source: 'real' }), /z\[0\] has 1 values but x has 2/);
  assert.throws(() => heatmapFigure({ x: [1], y: [1, 2], z: [[1]], xTitle: 'a', yTitle: 'b', zTitle: 'c', source: 'real' }), /z has 1 rows but y has 2/);
});

test('timelineFigure: spans above a row per thread, the most frequent syscalls coloured, the rest "other"', () => {
  const syscalls = aq.from([
    { thread: 'user/2/33', ts_ns: at(0.5), syscall: 'read' },
    { thread: 'user/2/31', ts_ns: at(1), syscall: 'read' },
    { thread: 'user/2/31', ts_ns: at(2), syscall: 'read' },
    { thread: 'user/2/31', ts_ns: at(3), syscall: 'write' },
    { thread: 'user/2/33', ts_ns: at(4), syscall: 'write' },
    { thread: 'user/2/33', ts_ns: at(6), syscall: 'futex' },
  ]);
  const fig = timelineFigure({ spans: SPANS, syscalls, source: 'simulated', topSyscalls: 2 });
  assert.match(fig.layout.title.text, /SIMULATED/);
  assert.deepEqual(fig.data.map((d) => d.name), ['front-end', 'user', 'read', 'write', OTHER_SYSCALLS]);
  const read = byName(fig, 'read');
  assert.deepEqual(read.x, [0.5, 1, 2]);
  assert.deepEqual(read.y, ['user/2/33', 'user/2/31', 'user/2/31']);
  assert.deepEqual(byName(fig, OTHER_SYSCALLS).text, ['futex']);
  assert.equal(read.yaxis, 'y2');
  // Threads in the order of their first syscall; spans on their own axis above.
  assert.deepEqual(axis(fig, 'yaxis2').categoryarray, ['user/2/33', 'user/2/31']);
  const [top, bottom] = [axis(fig, 'yaxis').domain, axis(fig, 'yaxis2').domain] as number[][];
  assert.ok(bottom[1] < top[0], 'the spans panel is above the threads panel');
});
