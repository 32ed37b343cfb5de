import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { loadCapture } from '../../lib/capture/load';
import type { Table } from '../../lib/capture/types';
import { idleSyscalls, isolatedCapture, liveCapture } from './figure2';

// data/figure2 (what notebook 01 loads) was written from this folder's figure2.ts; the two must not drift.
const DIR = join(__dirname, '..', '..', 'data', 'figure2');
const COLS = ['ts_ns', 'host', 'pid', 'tid', 'syscall', 'service'];
const SPAN_COLS = ['trace_id', 'span_id', 'parent_id', 'trace_type', 'operation', 'service', 'start_ns', 'end_ns'];

function rows(t: Table, cols: string[]): unknown[][] {
  const arrays = cols.map((c) => Array.from(t.array(c) as ArrayLike<unknown>));
  return Array.from({ length: t.numRows() }, (_, r) => arrays.map((a) => a[r] ?? ''));
}

test('data/figure2 holds the same syscalls, spans and truth as the code that wrote it', async () => {
  const [idle, iso, live] = await Promise.all(['idle', 'isolated', 'live'].map((m) => loadCapture(join(DIR, `figure2-${m}`))));
  assert.deepEqual(rows(idle.syscalls, COLS), rows(idleSyscalls(), COLS));
  const isoCode = isolatedCapture(5);
  assert.deepEqual(rows(iso.syscalls, COLS), rows(isoCode.syscalls, COLS));
  assert.deepEqual(rows(iso.spans, SPAN_COLS), rows(isoCode.spans, SPAN_COLS));
  const liveCode = liveCapture();
  assert.deepEqual(rows(live.syscalls, COLS), rows(liveCode.syscalls, COLS));
  assert.deepEqual(rows(live.spans, SPAN_COLS), rows(liveCode.spans, SPAN_COLS));
  assert.deepEqual(rows(live.truth!, ['trace_id', 'span_id', 'host', 'pid', 'tid']), rows(liveCode.truth, ['trace_id', 'span_id', 'host', 'pid', 'tid']));
  for (const c of [idle, iso, live]) assert.equal(c.manifest.source, 'simulated');
});
