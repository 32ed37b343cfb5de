/** The isolated phase over several captures (one per trace type, as the bundled data has them). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyseIsolated, analyseIsolatedSet, trainIdleModels } from '../../lib/stitch/index';
import type { Table } from '../../lib/capture/types';
import { idleSyscalls, isolatedCapture } from './figure2';

const OPTS = { toleranceNs: 1000 };
const NGRAM = { scorer: 'ngram' as const, n: 3 };

/** The same capture under other trace ids and another trace type. */
function renamed(c: { spans: Table; syscalls: Table }, prefix: string, type: string) {
  return { ...c, spans: c.spans.derive({ trace_id: `d => '${prefix}' + d.trace_id`, trace_type: `() => '${type}'` }) };
}

test('analyseIsolatedSet: profiles over every capture, and each capture\'s sequences under them', async () => {
  const idle = await trainIdleModels(idleSyscalls(), NGRAM);
  const a = isolatedCapture(3);
  const b = renamed(isolatedCapture(2), 'b-', 'GET /other');
  const set = await analyseIsolatedSet([a, b], idle.models, OPTS);
  const alone = [await analyseIsolated(a, idle.models, OPTS), await analyseIsolated(b, idle.models, OPTS)];
  assert.equal(set.perCapture.length, 2);
  assert.deepEqual([...set.profiles.byType.keys()].sort(), [...alone[0].profiles.byType.keys(), 'GET /other'].sort());
  assert.equal(set.profiles.byType.get('GET /other')!.traces, 2);
  // Each type's sequences are exactly those its own capture gives when analysed alone.
  for (const [i, one] of alone.entries()) {
    for (const [type, list] of one.sequences) {
      assert.deepEqual(set.sequences.get(type), list, `capture ${i}, ${type}`);
    }
  }
});

test('analyseIsolatedSet refuses captures that share trace ids (their instances would be mixed)', async () => {
  const idle = await trainIdleModels(idleSyscalls(), NGRAM);
  await assert.rejects(analyseIsolatedSet([isolatedCapture(2), isolatedCapture(2)], idle.models, OPTS), /unique across the captures/);
});
