/**
 * Static images through Chromium (skipped, with the reason, where it is not installed), and the
 * notebook output forms with and without it; show() outside a notebook.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CHROMIUM_ENV, PLOTLY_MIME, accuracyFigure, chromiumAvailable, chromiumPath, closeBrowser, mimeBundle,
  renderImage, show, thresholdsFigure,
} from '../../lib/plot/index';

const PNG_MAGIC = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const fig = thresholdsFigure({ idle: [0.9, 0.8, 0.95], active: [0.01, 0.3], threshold: 0.1, source: 'simulated' });
const hasChromium = chromiumAvailable();
const noChromium = hasChromium ? false : `no Chromium at ${chromiumPath()} (apt-get install chromium)`;
if (noChromium) console.log(`# skipping the image tests: ${noChromium}`);

after(() => closeBrowser());

/** Runs `fn` with renderImage pointed at a Chromium that does not exist (and no browser open). */
async function withoutChromium<T>(fn: () => Promise<T>): Promise<T> {
  await closeBrowser();
  const before = process.env[CHROMIUM_ENV];
  process.env[CHROMIUM_ENV] = '/nonexistent/chromium';
  try {
    return await fn();
  } finally {
    if (before === undefined) delete process.env[CHROMIUM_ENV];
    else process.env[CHROMIUM_ENV] = before;
  }
}

test('renderImage draws a PNG of the asked size', { skip: noChromium }, async () => {
  const png = await renderImage(fig, { width: 400, height: 300 });
  assert.ok(png.subarray(0, 8).equals(PNG_MAGIC), 'PNG signature');
  assert.ok(png.length > 5000, `a real picture, not an empty one (${png.length} bytes)`);
  // IHDR: width and height, big-endian, right after the signature and chunk header.
  assert.deepEqual([png.readUInt32BE(16), png.readUInt32BE(20)], [400, 300]);
  const hiDpi = await renderImage(fig, { width: 400, height: 300, scale: 2 });
  assert.deepEqual([hiDpi.readUInt32BE(16), hiDpi.readUInt32BE(20)], [800, 600]);
});

test('renderImage draws SVG text holding the title, and serves concurrent calls from one browser', { skip: noChromium }, async () => {
  const other = accuracyFigure({ rows: [{ trace_type: 'GET /x', acc_process: 1, acc_thread: 0.5, paper_acc: 0.9 }], source: 'real' });
  const [a, b] = await Promise.all([renderImage(fig, { format: 'svg' }), renderImage(other, { format: 'svg' })]);
  assert.match(a, /^<svg[^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
  assert.ok(a.includes('SIMULATED data') && !a.includes('REAL data'));
  assert.ok(b.includes('REAL data') && b.includes('GET /x'));
});

test('closeBrowser ends the browser and the next render starts another', { skip: noChromium }, async () => {
  await closeBrowser();
  await closeBrowser(); // twice is harmless
  const png = await renderImage(fig, { width: 200, height: 150 });
  assert.ok(png.subarray(0, 8).equals(PNG_MAGIC));
});

test('mimeBundle holds the plotly JSON, a PNG and text where Chromium is', { skip: noChromium }, async () => {
  const bundle = await mimeBundle(fig, { width: 300, height: 200 });
  assert.deepEqual(Object.keys(bundle).sort(), [PLOTLY_MIME, 'image/png', 'text/plain'].sort());
  assert.equal(bundle[PLOTLY_MIME], fig);
  assert.ok(Buffer.from(bundle['image/png'] as string, 'base64').subarray(0, 8).equals(PNG_MAGIC));
  assert.match(bundle['text/plain'] as string, /Idle-model scores.*SIMULATED data \(2 traces\)/);
  const svg = await mimeBundle(fig, { format: 'svg' });
  assert.match(svg['image/svg+xml'] as string, /^<svg/);
});

test('without Chromium: renderImage says what is missing, mimeBundle falls back to an HTML div', async () => {
  await withoutChromium(async () => {
    await assert.rejects(renderImage(fig), /no Chromium at \/nonexistent\/chromium; install Debian's chromium/);
    const bundle = await mimeBundle(fig);
    assert.equal(bundle['image/png'], undefined);
    const html = bundle['text/html'] as string;
    const id = /<div class="plotly-figure" id="([^"]+)"/.exec(html)?.[1];
    assert.ok(id, 'a div');
    assert.ok(html.includes(`Plotly.newPlot(${JSON.stringify(id)}`), 'a script that draws into it');
    assert.match(html, /https:\/\/cdn\.plot\.ly\/plotly-3\.\d+\.\d+\.min\.js/);
    // Two outputs of the same figure on one page get distinct ids.
    const again = (await mimeBundle(fig))['text/html'] as string;
    assert.ok(!again.includes(`id="${id}"`));
  });
});

test('show outside a notebook prints the figure\'s line and resolves to nothing', async () => {
  const lines: string[] = [];
  const log = console.log;
  console.log = (...args: unknown[]) => lines.push(args.join(' '));
  try {
    assert.equal(await show(fig), undefined);
  } finally {
    console.log = log;
  }
  assert.deepEqual(lines, ['[figure] Idle-model scores: idle vs active syscalls · SIMULATED data (2 traces)']);
});
