import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend, describeBackend } from '../../lib/nn/backend';

test('initBackend picks a backend that computes, and says why', async () => {
  const info = await initBackend();
  assert.equal(tf.getBackend(), info.name);
  assert.ok(info.tried.at(-1)?.ok, 'the last candidate tried is the one chosen');
  // Every candidate before the chosen one failed with a recorded error.
  for (const t of info.tried.slice(0, -1)) assert.ok(!t.ok && t.error);
  const y = tf.tidy(() => tf.matMul(tf.tensor2d([[1, 2], [3, 4]]), tf.tensor2d([[5], [6]])).dataSync());
  assert.deepEqual(Array.from(y), [17, 39]);
  assert.match(await describeBackend(), new RegExp(`^${info.name} \\(`));
});

test('initBackend can be forced to the cpu backend for comparisons', async () => {
  const info = await initBackend('cpu');
  assert.equal(info.name, 'cpu');
  assert.equal(tf.getBackend(), 'cpu');
});
