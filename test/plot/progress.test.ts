/** The notebook progress line: its text, and what it prints outside a notebook. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { progressLine, progressText } from '../../lib/plot/index';

test('progressText names the step, the count, the percentage and the detail', () => {
  assert.equal(progressText({ step: 'idle models', done: 3, total: 14, unit: 'services', detail: 'user: epoch 2/5 loss 0.1234' }), '[idle models] 3/14 services (21%) user: epoch 2/5 loss 0.1234');
  // An empty step is complete, not a division by zero.
  assert.equal(progressText({ step: 'signals', done: 0, total: 0, unit: 'services' }), '[signals] 0/0 services (100%)');
});

test('outside a notebook, progressLine prints a line when the count advances, not on every epoch, and closes with the last detail', () => {
  const written: string[] = [];
  const write = process.stderr.write;
  process.stderr.write = ((chunk: string) => written.push(chunk) > 0) as typeof process.stderr.write;
  try {
    const report = progressLine();
    report({ step: 'idle models', done: 0, total: 2, unit: 'services', detail: 'user: fitting' });
    report({ step: 'idle models', done: 0, total: 2, unit: 'services', detail: 'user: epoch 1/5 loss 1.0000' });
    report({ step: 'idle models', done: 1, total: 2, unit: 'services', detail: 'carts: fitting' });
    report({ step: 'idle models', done: 2, total: 2, unit: 'services' });
  } finally {
    process.stderr.write = write;
  }
  assert.deepEqual(written, [
    '[idle models] 0/2 services (0%) user: fitting\n',
    '[idle models] 1/2 services (50%) carts: fitting\n',
    '[idle models] 2/2 services (100%) (last: carts: fitting)\n',
  ]);
});
