/**
 * One trace as a timeline: its spans on top and, below, the syscalls of each thread as ticks,
 * coloured by syscall: the cross-layer picture the stitcher has to untangle.
 */
import type { Table } from '../capture/types';
import type { SpanBarRow } from './lanes';
import { laneLayout, spanLanes } from './lanes';
import type { FigureSource, Figure, Trace } from './spec';
import { MARK_PALETTE, figureTitle, rowsOf, toNumber } from './spec';

/** One syscall of a thread. */
export interface TimelineSyscallRow {
  /** The thread's key, "host/pid/tid". */
  thread: string;
  ts_ns: number | bigint;
  syscall: string;
}

/** Inputs of {@link timelineFigure}; times are ns from the capture origin. */
export interface TimelineInput {
  /** The trace's spans (columns span_id, service, operation, start_ns, end_ns). */
  spans: Table | readonly SpanBarRow[];
  /** The syscalls to draw, all of them (filter to the threads and window first). */
  syscalls: Table | readonly TimelineSyscallRow[];
  source: FigureSource;
  title?: string;
  /** The most frequent syscalls get a colour and a legend entry each (default 8); the rest are "other". */
  topSyscalls?: number;
}

/** The legend name of the syscalls past the most frequent ones. */
export const OTHER_SYSCALLS = 'other syscalls';

/** Spans as bars (ms from the first span) above one row per thread with a tick per syscall. */
export function timelineFigure(input: TimelineInput): Figure {
  const what = 'timelineFigure';
  const lanes = spanLanes(input.spans, what);
  const calls = rowsOf<TimelineSyscallRow>(input.syscalls, ['thread', 'ts_ns', 'syscall'], `${what} syscalls`);
  const freq = new Map<string, number>();
  for (const c of calls) freq.set(c.syscall, (freq.get(c.syscall) ?? 0) + 1);
  const top = [...freq].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, input.topSyscalls ?? 8).map(([name]) => name);
  const groups = new Map<string, TimelineSyscallRow[]>([...top, OTHER_SYSCALLS].map((g) => [g, []]));
  for (const c of calls) groups.get(top.includes(c.syscall) ? c.syscall : OTHER_SYSCALLS)!.push(c);
  const ticks: Trace[] = [...groups].filter(([, rows]) => rows.length > 0).map(([name, rows], i) => ({
    type: 'scatter',
    mode: 'markers',
    name,
    x: rows.map((c) => lanes.ms(c.ts_ns)),
    y: rows.map((c) => c.thread),
    text: rows.map((c) => c.syscall),
    yaxis: 'y2',
    marker: { symbol: 'line-ns-open', size: 12, color: name === OTHER_SYSCALLS ? '#bbbbbb' : MARK_PALETTE[i % MARK_PALETTE.length] },
    hovertemplate: '%{text} at %{x:.3f} ms<extra>%{y}</extra>',
  }));
  // Threads top to bottom in the order they first make a syscall.
  const threads = [...new Set([...calls].sort((a, b) => toNumber(a.ts_ns) - toNumber(b.ts_ns)).map((c) => c.thread))];
  return {
    data: [...lanes.bars, ...ticks],
    layout: laneLayout(figureTitle(input.title ?? 'A trace: its spans above the syscalls of each thread', input.source), [...lanes.labels.values()], threads, 'threads (host/pid/tid)'),
  };
}
