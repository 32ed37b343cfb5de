/**
 * The paper's Figure 2 as tables. Services A, B, C, three threads each (A1..A3 = tids 101..103 of
 * pid 100, B1..B3 = 201..203 of pid 200, C1..C3 = 301..303 of pid 300, all on host h). Trace T has
 * spans A [0, 100] µs ⊃ B [10, 90] ⊃ C [30, 60] (shifted by T0). The figure's times are not printed,
 * so they are reconstructed to give exactly the six sequences the paper's Table 1 lists:
 *
 *   A1: w5 r95            B1: w15 x25 x54 (x95)   C1: r35 w50
 *   A2: r40 w70           B2: r12 w20 r55 w80     C2: r40 w58 (x75)
 *   A3: r3 w22            B3: r11 w18 r45         C3: x57
 *
 * (B1's x95 and C2's x75 fall outside their spans and must not count.) The threads serving T are
 * A1, B2, C1, whose merged sequence is the paper's S = Aw-Br-Bw-Cr-Cw-Br-Bw-Ar. Outside the trace
 * every thread runs an idle routine of "p" calls (the idle capture holds only that routine), so
 * every figure call is a signal syscall and nothing else is.
 */
import type { Table } from '../../lib/capture/types';
import { repeat, spansTable, syscallsTable, truthTable } from './tables';
import type { CallSpec } from './tables';

/** The start of trace T in µs (idle calls run well before and after it). */
export const T0 = 10_000;

const thread = (service: string, k: number) => {
  const pid = { A: 100, B: 200, C: 300 }[service]!;
  return { host: 'h', pid, tid: pid + k, service };
};

/** The figure's calls per thread: [service, thread number, [[syscall, µs after T0], ...]]. */
export const FIGURE_CALLS: [string, number, [string, number][]][] = [
  ['A', 1, [['w', 5], ['r', 95]]],
  ['A', 2, [['r', 40], ['w', 70]]],
  ['A', 3, [['r', 3], ['w', 22]]],
  ['B', 1, [['w', 15], ['x', 25], ['x', 54], ['x', 95]]],
  ['B', 2, [['r', 12], ['w', 20], ['r', 55], ['w', 80]]],
  ['B', 3, [['r', 11], ['w', 18], ['r', 45]]],
  ['C', 1, [['r', 35], ['w', 50]]],
  ['C', 2, [['r', 40], ['w', 58], ['x', 75]]],
  ['C', 3, [['x', 57]]],
];

/** The serving threads of T: A1, B2, C1. */
export const SERVING: Record<string, number> = { A: 1, B: 2, C: 1 };

/** The paper's S. */
export const S = ['Aw', 'Br', 'Bw', 'Cr', 'Cw', 'Br', 'Bw', 'Ar'];

/** Table 1's rows as the paper prints them. */
export const TABLE_1: [string, string][] = [
  ['A1-B1-C1', 'Aw-Bw-Bx-Cr-Cw-Bx-Ar'],
  ['A1-B1-C2', 'Aw-Bw-Bx-Cr-Bx-Cw-Ar'],
  ['A1-B1-C3', 'Aw-Bw-Bx-Bx-Cx-Ar'],
  ['A1-B2-C1', 'Aw-Br-Bw-Cr-Cw-Br-Bw-Ar'],
  ['A1-B2-C2', 'Aw-Br-Bw-Cr-Br-Cw-Bw-Ar'],
  ['A3-B3-C3', 'Ar-Br-Bw-Aw-Br-Cx'],
];

/** "A:w B:r" -> "Aw-Br": kit tokens in the paper's notation. */
export function paperNotation(sequence: string): string {
  return sequence.split(' ').map((t) => t.replace(':', '')).join('-');
}

/** Idle "p" calls of every thread, 1 µs apart, from `fromUs` (20 of them). */
function idleCalls(fromUs: number): CallSpec[] {
  return ['A', 'B', 'C'].flatMap((s) => [1, 2, 3].flatMap((k) => repeat(thread(s, k), 'p', fromUs, 20, 1)));
}

/** The idle capture's syscalls: every thread polling. */
export function idleSyscalls(): Table {
  return syscallsTable(idleCalls(0));
}

/** Spans of trace `id` at `t0`. */
function traceSpans(id: string, t0: number) {
  return [
    { trace: id, span: `${id}-a`, type: 'GET /t', op: 'GET /t', service: 'A', startUs: t0, endUs: t0 + 100, host: 'h', pid: 100 },
    { trace: id, span: `${id}-b`, parent: `${id}-a`, type: 'GET /t', op: 'GET /b', service: 'B', startUs: t0 + 10, endUs: t0 + 90, host: 'h', pid: 200 },
    { trace: id, span: `${id}-c`, parent: `${id}-b`, type: 'GET /t', op: 'GET /c', service: 'C', startUs: t0 + 30, endUs: t0 + 60, host: 'h', pid: 300 },
  ];
}

/** The calls of the figure at `t0`, of the serving threads only or of all. */
function figureCalls(t0: number, servingOnly: boolean): CallSpec[] {
  return FIGURE_CALLS.filter(([s, k]) => !servingOnly || SERVING[s] === k).flatMap(([s, k, calls]) => calls.map(([syscall, at]) => ({ ...thread(s, k), us: t0 + at, syscall })));
}

/**
 * The isolated capture: `count` instances of T, 1 ms apart, each served by A1, B2, C1 alone (the
 * other threads idle), with idle calls before and after.
 */
export function isolatedCapture(count: number): { spans: Table; syscalls: Table } {
  const starts = Array.from({ length: count }, (_, i) => T0 + i * 1000);
  return {
    spans: spansTable(starts.flatMap((t0, i) => traceSpans(`iso${i}`, t0))),
    syscalls: syscallsTable([...idleCalls(T0 - 500), ...starts.flatMap((t0) => figureCalls(t0, true)), ...idleCalls(T0 + count * 1000 + 500)]),
  };
}

/** The live capture: Figure 2 itself, trace "T" at T0 with every thread busy. */
export function liveCapture(): { spans: Table; syscalls: Table; truth: Table } {
  return {
    spans: spansTable(traceSpans('T', T0)),
    syscalls: syscallsTable([...idleCalls(T0 - 500), ...figureCalls(T0, false), ...idleCalls(T0 + 500)]),
    truth: truthTable([['T', 'T-a', 'h', 100, 101], ['T', 'T-b', 'h', 200, 202], ['T', 'T-c', 'h', 300, 301]]),
  };
}
