/**
 * The main job end to end on the bundled captures (with the fast n-gram scorer; the LSTM path is
 * the same code with another scorer): Table 2 for the paper's trace types, in every output format.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PAPER_TABLE2 } from '../../lib/stitch/index';
import { readJaegerFile } from '../../lib/capture/jaeger';
import { readOtlpFile } from '../../lib/capture/otlp';
import { ProblemLog } from '../../lib/capture/problems';

const ROOT = join(__dirname, '..', '..');
const DATA = join(ROOT, 'data', 'sockshop');

function reproduce(args: string[]): string {
  return execFileSync(process.execPath, ['--import', 'tsx', join(ROOT, 'experiments', 'reproduce.ts'), '--scorer', 'ngram', ...args],
    { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

test('npm run reproduce writes Table 2, its CSV, the report and the stitched traces', async () => {
  const out = mkdtempSync(join(tmpdir(), 'reproduce-'));
  try {
    const stdout = reproduce(['--out', out]);
    assert.match(stdout, /Table 2 \(simulated data/);
    const rows = JSON.parse(readFileSync(join(out, 'table2.json'), 'utf8')) as Record<string, unknown>[];
    // Every trace type of the paper has a row, with the paper's figure beside the kit's.
    for (const paper of PAPER_TABLE2) {
      const row = rows.find((r) => r.trace_type === paper.trace_type);
      assert.ok(row, `no row for ${paper.trace_type}`);
      assert.equal(row.paper_acc, paper.acc);
      assert.ok((row.traces as number) > 0);
      for (const k of ['acc_process', 'acc_thread', 'span_acc_process', 'span_acc_thread']) {
        const v = row[k];
        assert.ok(typeof v === 'number' && v >= 0 && v <= 1, `${paper.trace_type} ${k} = ${v}`);
      }
    }
    const csv = readFileSync(join(out, 'table2.csv'), 'utf8').trim().split('\n');
    assert.equal(csv.length, rows.length + 1);
    assert.match(csv[0], /^trace_type,services,traces,acc_process,acc_thread/);
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    assert.match(html, /SIMULATED/);
    // The stitched export is Jaeger JSON the kit's own reader accepts, with the syscalls tag.
    const problems = new ProblemLog();
    const spans = await readJaegerFile(join(out, 'stitched.jaeger.json'), problems);
    assert.ok(spans.length > 0);
    assert.match(readFileSync(join(out, 'stitched.jaeger.json'), 'utf8'), /"key":\s*"syscalls"/);
    assert.equal((await readOtlpFile(join(out, 'stitched.otlp.json'), problems)).length, spans.length);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test('a live recording without truth.csv is stitched and exported, with no Table 2', async () => {
  const tmp = mkdtempSync(join(tmpdir(), 'reproduce-notruth-'));
  try {
    const names = readdirSync(DATA);
    const live = join(tmp, 'live');
    cpSync(join(DATA, names.find((d) => d.startsWith('sockshop-sim-live'))!), live, { recursive: true });
    rmSync(join(live, 'truth.csv'));
    const isolated = names.filter((d) => d.startsWith('sockshop-sim-isolated-')).flatMap((d) => ['--isolated', join(DATA, d)]);
    const out = join(tmp, 'out');
    reproduce(['--idle', join(DATA, names.find((d) => d.startsWith('sockshop-sim-idle'))!), ...isolated, '--live', live, '--out', out]);
    assert.ok((await readJaegerFile(join(out, 'stitched.jaeger.json'), new ProblemLog())).length > 0);
    assert.ok(existsSync(join(out, 'report.html')));
    assert.equal(existsSync(join(out, 'table2.json')), false);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});
