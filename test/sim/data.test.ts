import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { files } from './helpers';

test('npm run data:sockshop into a temporary folder reproduces data/sockshop byte for byte', async () => {
  const out = await mkdtemp(join(tmpdir(), 'sim-data-'));
  try {
    execFileSync(process.execPath, ['--import', 'tsx', 'scripts/data-sockshop.ts', '--out', out], { stdio: 'pipe' });
    const [made, bundled] = [await files(out), await files('data/sockshop')];
    assert.deepEqual([...made.keys()].sort(), [...bundled.keys()].sort());
    assert.ok(bundled.size > 8 * 4, `${bundled.size} files`);
    for (const [name, bytes] of bundled) assert.ok(bytes.equals(made.get(name) as Buffer), `${name} differs: run npm run data:sockshop`);
  } finally {
    await rm(out, { recursive: true, force: true });
  }
});
