import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readManifest, writeManifest } from '../../lib/capture/manifest';
import { CaptureError } from '../../lib/capture/problems';
import type { Manifest } from '../../lib/capture/types';

const VALID = {
  format: 'deepstitch-capture/1',
  name: 'sockshop-live-c2',
  source: 'simulated',
  mode: 'live',
  app: 'sockshop',
  createdAt: '2026-11-26T07:00:00Z',
  generator: { tool: 'sim', version: '0.1.0', seed: 7, params: { users: 2 } },
  traces: [{ path: 'traces/jaeger.json', format: 'jaeger' }],
  syscalls: [
    { host: 'node-1', path: 'syscalls/node-1.strace', format: 'strace', clock: 'realtime', offsetNs: '-2500' },
    { host: 'node-2', path: 'syscalls/node-2.bpftrace', format: 'bpftrace', clock: 'monotonic', offsetNs: '1795681581439567956', pid: 42 },
  ],
};

async function dirWith(text: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'manifest-'));
  await writeFile(join(dir, 'manifest.json'), text);
  return dir;
}

test('reads a manifest with offsetNs as exact BigInt and the optional pid', async () => {
  const m = await readManifest(await dirWith(JSON.stringify(VALID)));
  assert.equal(m.syscalls[0].offsetNs, -2500n);
  assert.equal(m.syscalls[1].offsetNs, 1795681581439567956n);
  assert.equal(m.syscalls[1].pid, 42);
  assert.equal('pid' in m.syscalls[0], false);
  assert.deepEqual(m.generator, VALID.generator);
  assert.deepEqual(m.traces, VALID.traces);
  assert.equal(m.mode, 'live');
});

test('offsetNs as a bare JSON number: small ones as given, long ones from their digits', async () => {
  // 1795681581439567956 as a double is 1795681581439567872: the digits must win.
  const text = JSON.stringify(VALID)
    .replace('"offsetNs":"1795681581439567956"', '"offsetNs": 1795681581439567956')
    .replace('"offsetNs":"-2500"', '"offsetNs":-2500');
  assert.match(text, /"offsetNs": 1795681581439567956/);
  const m = await readManifest(await dirWith(text));
  assert.equal(m.syscalls[0].offsetNs, -2500n);
  assert.equal(m.syscalls[1].offsetNs, 1795681581439567956n);
});

test('offsetNs may be left out for a realtime clock, not for a monotonic one', async () => {
  const realtime = structuredClone(VALID) as Record<string, any>;
  delete realtime.syscalls[0].offsetNs;
  assert.equal((await readManifest(await dirWith(JSON.stringify(realtime)))).syscalls[0].offsetNs, 0n);
  const monotonic = structuredClone(VALID) as Record<string, any>;
  delete monotonic.syscalls[1].offsetNs;
  await assert.rejects(readManifest(await dirWith(JSON.stringify(monotonic))), /field "syscalls\[1\]\.offsetNs" \(a string of decimal digits/);
});

test('a missing or mistyped field is a CaptureError naming manifest.json and the field', async () => {
  const cases: [(m: Record<string, any>) => void, RegExp][] = [
    [(m) => delete m.syscalls[1].host, /manifest\.json: expected field "syscalls\[1\]\.host" \(a string\), found nothing$/],
    [(m) => (m.format = 'deepstitch-capture/2'), /expected field "format" \("deepstitch-capture\/1"\), found string "deepstitch-capture\/2"/],
    [(m) => (m.mode = 'busy'), /field "mode" \("idle" or "isolated" or "live"\)/],
    [(m) => (m.syscalls[0].offsetNs = '12.5'), /field "syscalls\[0\]\.offsetNs"/],
    [(m) => (m.syscalls[0].offsetNs = 1.5e300), /field "syscalls\[0\]\.offsetNs"/],
    [(m) => (m.syscalls[0].format = 'ltrace'), /field "syscalls\[0\]\.format" \("strace" or "perf-trace" or "csv" or "bpftrace"\)/],
    [(m) => (m.traces = {}), /field "traces" \(an array\), found an object/],
    [(m) => (m.traces[0] = 'traces/a.json'), /field "traces\[0\]" \(an object\)/],
    [(m) => delete m.generator.version, /field "generator\.version" \(a string\)/],
    [(m) => (m.syscalls[1].pid = '42'), /field "syscalls\[1\]\.pid" \(an integer\)/],
    // the syscalls table holds 32-bit pids
    [(m) => (m.syscalls[1].pid = 2 ** 31), /field "syscalls\[1\]\.pid" \(a process id in 0\.\.2\^31-1\), found number 2147483648/],
    [(m) => (m.syscalls[1].pid = -1), /field "syscalls\[1\]\.pid" \(a process id in 0\.\.2\^31-1\)/],
  ];
  for (const [change, message] of cases) {
    const m = structuredClone(VALID) as Record<string, any>;
    change(m);
    await assert.rejects(readManifest(await dirWith(JSON.stringify(m))), (e: unknown) => {
      assert.ok(e instanceof CaptureError, String(e));
      assert.match(e.message, message);
      return true;
    });
  }
});

test('no manifest, broken JSON or a non-object is a CaptureError', async () => {
  const empty = await mkdtemp(join(tmpdir(), 'manifest-'));
  await assert.rejects(readManifest(empty), /manifest\.json: expected a readable file, found no such file/);
  await assert.rejects(readManifest(await dirWith('{"format": "deepstitch-capture/1",\n}')), /manifest\.json:2: expected valid JSON/);
  await assert.rejects(readManifest(await dirWith('[1, 2]')), /manifest\.json: expected a JSON object, found an array/);
});

test('writeManifest writes offsetNs as a string and reads back the same manifest', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'manifest-'));
  const m = await readManifest(await dirWith(JSON.stringify(VALID)));
  await writeManifest(dir, m);
  const text = await readFile(join(dir, 'manifest.json'), 'utf8');
  assert.match(text, /"offsetNs": "1795681581439567956"/);
  assert.match(text, /"offsetNs": "-2500"/);
  const again: Manifest = await readManifest(dir);
  assert.deepEqual(again, m);
});
