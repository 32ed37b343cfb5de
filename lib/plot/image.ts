/**
 * Static images of figures (PNG or SVG) drawn by plotly in Debian's Chromium, driven by
 * playwright-core. Plotly comes from node_modules and the page is offline: nothing downloads.
 * One browser serves every call; it closes when idle (a few seconds by default), with closeBrowser(),
 * or at exit.
 */
import { accessSync, constants, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { plotlyPath } from './html';
import type { Figure } from './spec';

/** Where Debian's chromium package puts the browser. */
export const CHROMIUM_PATH = '/usr/bin/chromium';

/** The environment variable that names another Chromium executable. */
export const CHROMIUM_ENV = 'DEEPSTITCH_CHROMIUM';

/** The Chromium renderImage uses: $DEEPSTITCH_CHROMIUM if set, else CHROMIUM_PATH. */
export function chromiumPath(): string {
  return process.env[CHROMIUM_ENV] || CHROMIUM_PATH;
}

/** Chromium flags: headless, no sandbox (root in containers), and no background network traffic. */
export const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

/** By default the browser closes after this many ms without a render, so that scripts can end. */
export const BROWSER_IDLE_MS = 5000;

/** Options of {@link renderImage}. */
export interface ImageOptions {
  format?: 'png' | 'svg';
  /** Pixels; default the layout's width/height, else 900 × 500. */
  width?: number;
  height?: number;
  /** PNG pixel ratio (default 1). */
  scale?: number;
  /** How long the browser stays open for the next call once nothing is being drawn (default BROWSER_IDLE_MS). */
  idleMs?: number;
}

/** Whether Chromium is installed where renderImage looks for it (chromiumPath()). */
export function chromiumAvailable(): boolean {
  try {
    accessSync(chromiumPath(), constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

interface Session {
  context: BrowserContext;
  page: Page;
  /** The temporary --user-data-dir. */
  profile: string;
}

type Playwright = typeof import('playwright-core');
let playwright: Playwright | undefined;
let session: Promise<Session> | undefined;
let inFlight = 0;
let idleTimer: ReturnType<typeof setTimeout> | undefined;
/** Temporary browser profiles still on disk: removed by closeBrowser, or at exit. */
const profiles = new Set<string>();
let exitHook = false;

function removeProfile(dir: string): void {
  profiles.delete(dir);
  rmSync(dir, { recursive: true, force: true });
}

async function launch(): Promise<Session> {
  if (!chromiumAvailable()) {
    throw new Error(`renderImage: no Chromium at ${chromiumPath()}; install Debian's chromium package (npm run setup does) or set ${CHROMIUM_ENV} to a Chromium executable; chromiumAvailable() tells beforehand`);
  }
  // require, not import: playwright-core loads only when an image is asked for.
  playwright ??= require('playwright-core') as Playwright;
  const profile = mkdtempSync(join(tmpdir(), 'deepstitch-chromium-'));
  profiles.add(profile);
  let context: BrowserContext | undefined;
  try {
    context = await playwright.chromium.launchPersistentContext(profile, { executablePath: chromiumPath(), headless: true, args: CHROMIUM_ARGS, offline: true });
    // After the launch, so that playwright's own exit hook (which kills the browser) runs first.
    if (!exitHook) process.on('exit', removeAllProfiles);
    exitHook = true;
    const page = context.pages()[0] ?? (await context.newPage());
    await page.setContent('<!doctype html><html><head><meta charset="utf-8"></head><body></body></html>');
    await page.addScriptTag({ path: plotlyPath() });
    return { context, page, profile };
  } catch (e) {
    await context?.close();
    removeProfile(profile);
    throw e;
  }
}

function removeAllProfiles(): void {
  for (const dir of profiles) {
    try {
      removeProfile(dir);
    } catch {
      // At exit a killed browser may still be writing its profile; a temp dir left is harmless.
    }
  }
}

/** The shared browser, launched on first use; forgotten when it closes or crashes. */
function open(): Promise<Session> {
  if (session !== undefined) return session;
  const opened: Promise<Session> = launch().then(
    (s) => {
      s.context.once('close', () => {
        if (session === opened) session = undefined;
      });
      return s;
    },
    (e: unknown) => {
      if (session === opened) session = undefined;
      throw e;
    },
  );
  session = opened;
  return opened;
}

/** Closes the shared browser (a later renderImage starts a new one). */
export async function closeBrowser(): Promise<void> {
  clearTimeout(idleTimer);
  const s = session;
  session = undefined;
  const opened = await s?.catch(() => undefined);
  if (opened === undefined) return;
  await opened.context.close();
  removeProfile(opened.profile);
}

/** A figure as a PNG (Buffer) or SVG (text), drawn by Plotly.toImage in headless Chromium. */
export function renderImage(fig: Figure, opts: ImageOptions & { format: 'svg' }): Promise<string>;
export function renderImage(fig: Figure, opts?: ImageOptions & { format?: 'png' }): Promise<Buffer>;
export function renderImage(fig: Figure, opts?: ImageOptions): Promise<Buffer | string>;
export async function renderImage(fig: Figure, opts: ImageOptions = {}): Promise<Buffer | string> {
  const format = opts.format ?? 'png';
  const size = {
    format,
    width: opts.width ?? (typeof fig.layout.width === 'number' ? fig.layout.width : 900),
    height: opts.height ?? (typeof fig.layout.height === 'number' ? fig.layout.height : 500),
    scale: opts.scale ?? 1,
  };
  clearTimeout(idleTimer);
  inFlight++;
  try {
    const { page } = await open();
    // An expression, not a function: tsx's transpiled functions may reference helpers the page lacks.
    // imageDataOnly: base64 for PNG, the SVG text for SVG (no data: URL).
    const image = (await page.evaluate(`Plotly.toImage(${JSON.stringify({ data: fig.data, layout: fig.layout })}, ${JSON.stringify({ ...size, imageDataOnly: true })})`)) as string;
    return format === 'png' ? Buffer.from(image, 'base64') : image;
  } finally {
    inFlight--;
    if (inFlight === 0 && session !== undefined) idleTimer = setTimeout(() => closeBrowser().catch((e: unknown) => console.error(`renderImage: closing the idle browser: ${(e as Error).message}`)), opts.idleMs ?? BROWSER_IDLE_MS);
  }
}
