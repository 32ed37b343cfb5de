/**
 * A tiny capture folder written by hand for the loader tests: two hosts whose syscall files sit
 * on different clocks. Every time below is chosen so the expected relative ns can be worked out
 * on paper (see load.test.ts).
 */
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** node-2's bpftrace clock is boot time: this offset puts it on the epoch (a string: > 2^53). */
export const NODE2_OFFSET = '1732612000000000000';

export const MANIFEST = {
  format: 'deepstitch-capture/1',
  name: 'tiny',
  source: 'real',
  mode: 'live',
  app: 'test',
  createdAt: '2024-11-26T09:12:25Z',
  generator: { tool: 'hand', version: '1' },
  traces: [{ path: 'traces/jaeger.json', format: 'jaeger' }],
  syscalls: [
    // node-1's clock runs 1.5 µs ahead of the span clock
    { host: 'node-1', path: 'syscalls/node-1.strace', format: 'strace', clock: 'realtime', offsetNs: '-1500', pid: 100 },
    { host: 'node-2', path: 'syscalls/node-2.bpftrace', format: 'bpftrace', clock: 'monotonic', offsetNs: NODE2_OFFSET },
  ],
};

export const PROCESSES = 'host,pid,service,instance,runtime\nnode-1,100,front,front-1,go\nnode-2,200,items,items-1,java\n';

export const JAEGER = {
  data: [{
    traceID: 'aaaa000000000001',
    spans: [
      { traceID: 'aaaa000000000001', spanID: '0000000000000001', operationName: 'GET /orders', references: [],
        startTime: 1732612345000100, duration: 500, tags: [{ key: 'span.kind', type: 'string', value: 'server' }], logs: [], processID: 'p1' },
      { traceID: 'aaaa000000000001', spanID: '0000000000000002', operationName: 'GET /items',
        references: [{ refType: 'CHILD_OF', traceID: 'aaaa000000000001', spanID: '0000000000000001' }],
        startTime: 1732612345000200, duration: 200, tags: [{ key: 'span.kind', type: 'string', value: 'server' }], logs: [], processID: 'p2' },
    ],
    processes: {
      p1: { serviceName: 'front', tags: [{ key: 'hostname', type: 'string', value: 'front-1' }, { key: 'pid', type: 'int64', value: 100 }] },
      p2: { serviceName: 'items', tags: [{ key: 'hostname', type: 'string', value: 'items-1' }] },
    },
  }],
};

/** strace -f --timestamps=unix,ns -T on the front process (pid 100, threads 100 and 101). */
export const STRACE = [
  '100   1732612344.999999000 epoll_wait(4, [], 128, 0) = 0 <0.000001000>',
  '101   1732612345.000101500 read(5, "GET /orders HTTP/1.1\\r\\n", 4096) = 23 <0.000003000>',
  '101   1732612345.000601500 write(5, "HTTP/1.1 200 OK\\r\\n", 17) = 17 <0.000004100>',
  '',
].join('\n');

/** bpftrace lines, not in time order (as per-CPU buffers print them); pid 999 is in no service. */
export const BPFTRACE = [
  'Attaching 2 probes...',
  '345000300000 200 201 1 120 1500 java',
  '345000200500 200 202 read 5 300 GC Thread#0',
  '345000250000 999 999 7 1 - stress',
  '345000200500 200 201 0 64 800 java',
  '',
].join('\n');

export const TRUTH = 'trace_id,span_id,host,pid,tid\naaaa000000000001,0000000000000001,node-1,100,101\naaaa000000000001,0000000000000002,node-2,200,201\n';

/** Changes to the tiny capture: other contents for its files, and `files` to add (by path). */
export interface TinyChange {
  manifest?: object;
  jaeger?: object;
  processes?: string;
  strace?: string;
  files?: Record<string, string>;
}

/** Writes the tiny capture (optionally with changes) into a new temporary folder. */
export async function writeTinyCapture(change: TinyChange = {}): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'tiny-capture-'));
  await mkdir(join(dir, 'traces'));
  await mkdir(join(dir, 'syscalls'));
  await writeFile(join(dir, 'manifest.json'), JSON.stringify(change.manifest ?? MANIFEST, null, 2));
  await writeFile(join(dir, 'processes.csv'), change.processes ?? PROCESSES);
  await writeFile(join(dir, 'traces', 'jaeger.json'), JSON.stringify(change.jaeger ?? JAEGER));
  await writeFile(join(dir, 'syscalls', 'node-1.strace'), change.strace ?? STRACE);
  await writeFile(join(dir, 'syscalls', 'node-2.bpftrace'), BPFTRACE);
  await writeFile(join(dir, 'truth.csv'), TRUTH);
  for (const [path, content] of Object.entries(change.files ?? {})) await writeFile(join(dir, path), content);
  return dir;
}
