import { test } from 'node:test';
import assert from 'node:assert/strict';
import { simulate } from '../../lib/sim';
import { spansOf } from './helpers';

test('concurrency 2: each user\'s connection goes to a random front-end replica, so the front-end sometimes serves both at once', () => {
  let shared = 0;
  let apart = 0;
  for (let seed = 1; seed <= 6; seed++) {
    const roots = spansOf(simulate({ mode: 'live', durationS: 1.5, seed, traceProbes: false })).filter((s) => s.parent_id === '');
    assert.ok(roots.length > 20);
    const pids = new Set(roots.map((s) => s.pid));
    // two requests of different traces open at once in one front-end process
    const together = roots.some((a) => roots.some((b) => a.trace_id !== b.trace_id && a.pid === b.pid && a.start_ns < b.end_ns && b.start_ns < a.end_ns));
    if (together) {
      shared++;
      assert.equal(pids.size, 1, `seed ${seed}: both users on one replica`);
    } else {
      apart++;
      assert.equal(pids.size, 2, `seed ${seed}: one user per replica, never overlapping in a process`);
    }
  }
  assert.ok(shared > 0 && apart > 0, `seeds with both users on one replica: ${shared}, on two: ${apart}`);
});
