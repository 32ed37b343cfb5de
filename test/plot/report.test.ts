/** writeReport: one offline HTML file with plotly inlined once, a div per figure, the source label. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CHROMIUM_ARGS, accuracyFigure, chromiumAvailable, chromiumPath, heatmapFigure, lossFigure, writeReport } from '../../lib/plot/index';

const count = (text: string, part: string) => text.split(part).length - 1;

async function writeSample(dir: string): Promise<string> {
  const path = join(dir, 'nested', 'report.html');
  await writeReport(path, {
    title: 'Table 2 <check>',
    source: 'simulated',
    sections: [
      {
        heading: 'Accuracy',
        text: 'First paragraph.\n\nSecond with <b>markup</b> & more.',
        figures: [
          accuracyFigure({ rows: [{ trace_type: 'GET /x</script><script>alert(1)</script>', acc_process: 0.5, acc_thread: 0.25, paper_acc: null }], source: 'simulated' }),
          lossFigure([{ epoch: 1, loss: 1 }]),
        ],
        tables: [{ caption: 'rows & cells', columns: ['trace_type', 'acc', 'n'], rows: [['GET /x', 0.913793, 12], { trace_type: 'a<b', acc: null, n: 3 }] }],
      },
      { heading: 'Tuning', figures: [heatmapFigure({ x: [1], y: [2], z: [[0.5]], xTitle: 'x', yTitle: 'y', zTitle: 'z', source: 'simulated' })] },
    ],
  });
  return path;
}

test('writeReport inlines plotly once, writes a div and a draw call per figure, and labels the source', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'report-test-'));
  try {
    const html = readFileSync(await writeSample(dir), 'utf8');
    assert.equal(count(html, 'plotly.js v3.'), 1, 'plotly inlined exactly once');
    assert.ok(html.length > 1_000_000, 'plotly itself is in the file, not linked');
    assert.doesNotMatch(html, /<script[^>]+src=/, 'no external script');
    assert.equal(count(html, 'class="plotly-figure"'), 3);
    for (const id of ['figure-1', 'figure-2', 'figure-3']) assert.equal(count(html, `Plotly.newPlot("${id}"`), 1);
    assert.match(html, /<p class="source simulated">SIMULATED data<\/p>/);
    assert.match(html, /<title>Table 2 &#60;check&#62; · SIMULATED data<\/title>/);
    // Text and cells are escaped; a figure's strings cannot close its script element.
    assert.match(html, /<p>Second with &#60;b&#62;markup&#60;\/b&#62; &#38; more.<\/p>/);
    assert.ok(!html.includes('</script><script>alert(1)'));
    assert.match(html, /<td>a&#60;b<\/td><td><\/td><td class="num">3<\/td>/);
    assert.match(html, /<td class="num">0.9138<\/td><td class="num">12<\/td>/);
    assert.equal(count(html, '<section>'), 2);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the report opens offline in Chromium and draws every figure', async (t) => {
  if (!chromiumAvailable()) {
    t.skip(`no Chromium at ${chromiumPath()}`);
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'report-test-'));
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({ executablePath: chromiumPath(), args: CHROMIUM_ARGS });
  try {
    const path = await writeSample(dir);
    const page = await (await browser.newContext({ offline: true })).newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`file://${path}`);
    await page.waitForFunction('document.querySelectorAll(".plotly-figure .main-svg").length >= 3', undefined, { timeout: 20_000 });
    assert.deepEqual(errors, []);
    assert.equal(await page.evaluate('document.querySelectorAll(".plotly-figure.js-plotly-plot").length'), 3);
  } finally {
    await browser.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
