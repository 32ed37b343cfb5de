/** barsFigure on small tables: one series per group, categories in order of first appearance. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as aq from 'arquero';
import { barsFigure } from '../../lib/plot/index';

test('barsFigure groups rows into one series per group, keeping the x order of first appearance', () => {
  const rows = aq.table({ service: ['user', 'user', 'carts', 'front-end'], host: ['n1', 'n2', 'n1', 'n2'], syscalls: [5, 7, 3, 9] });
  const fig = barsFigure({ rows, x: 'service', y: 'syscalls', group: 'host', stacked: true, source: 'simulated', title: 'Syscalls' });
  assert.deepEqual(fig.data.map((d) => d.name), ['n1', 'n2']);
  assert.deepEqual([fig.data[0].x, fig.data[0].y], [['user', 'carts'], [5, 3]]);
  assert.deepEqual([fig.data[1].x, fig.data[1].y], [['user', 'front-end'], [7, 9]]);
  const xaxis = fig.layout.xaxis as { categoryarray: string[] };
  assert.deepEqual(xaxis.categoryarray, ['user', 'carts', 'front-end']);
  assert.equal(fig.layout.barmode, 'stack');
  assert.equal(fig.layout.showlegend, true);
  assert.match(fig.layout.title.text, /Syscalls · SIMULATED data/);
});

test('barsFigure without a group draws one series and no legend; it names a missing column', () => {
  const fig = barsFigure({ rows: [{ c: 'A1-B2-C1', p: 1 }, { c: 'A1-B3-C1', p: 0.5 }], x: 'c', y: 'p', source: 'real', title: 'Likelihoods', logY: true });
  assert.equal(fig.data.length, 1);
  assert.deepEqual(fig.data[0].y, [1, 0.5]);
  assert.equal(fig.layout.barmode, 'group');
  assert.equal(fig.layout.showlegend, false);
  assert.equal((fig.layout.yaxis as { type: string }).type, 'log');
  assert.throws(() => barsFigure({ rows: [{ c: 'x' }], x: 'c', y: 'p', source: 'real', title: 't' }), /no p/);
});
