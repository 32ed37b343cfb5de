/**
 * How runtimes hand work to free threads: a scheduler for event-driven runtimes (Go's Ms and
 * netpoller, Node's and redis's single loop, Erlang's schedulers), where a request's fiber parks
 * on I/O and any free thread may resume it; and worker pools for thread-per-task runtimes
 * (Tomcat's exec pool, libuv's pool), where an idle worker blocks in futex until handed a task.
 */
import { Channel, call, run, sys, wait, type Engine, type Fiber, type Parker, type Routine, type SimThread } from './engine';
import type { Rng } from './rng';

/** The message that wakes the thread in epoll_wait for a ready fiber; a timer change breaks the poll. */
const READY = 'ready';
const BREAK = 'break';

/** The run queue, timers and poller of an event-driven runtime. */
export class Scheduler implements Parker {
  readonly runq: Fiber[] = [];
  /** The thread blocked in epoll_wait waits here. */
  readonly poll: Channel<string>;
  /** Idle threads that do not poll wait here in futex (Go's idle M list is a stack). */
  readonly idle: Channel<string>;
  /** Threads running a fiber now. */
  running = 0;
  /** Called when the runtime goes from idle to busy (Go wakes sysmon). */
  onBusy: (() => void) | null = null;
  private readonly timers: { at: number; f: Fiber }[] = [];
  private pollDeadline = Infinity;

  constructor(readonly engine: Engine) {
    this.poll = new Channel<string>(engine);
    this.idle = new Channel<string>(engine, 'lifo');
  }

  /** Makes `f` runnable and wakes a thread to run it. */
  ready(f: Fiber): void {
    this.runq.push(f);
    if (this.poll.waiting > 0) this.poll.put(READY);
    else if (this.idle.waiting > 0) this.idle.put(READY);
  }

  /** Makes `f` runnable at `at`; an earlier deadline than the poller's breaks its wait. */
  timer(at: number, f: Fiber): void {
    let i = this.timers.length;
    while (i > 0 && this.timers[i - 1].at > at) i--;
    this.timers.splice(i, 0, { at, f });
    if (at < this.pollDeadline && this.poll.waiting > 0) this.poll.put(BREAK);
  }

  /** The next fiber to run (due timers first join the queue), or null. */
  take(now: number): Fiber | null {
    while (this.timers.length > 0 && this.timers[0].at <= now) this.runq.push((this.timers.shift() as { f: Fiber }).f);
    return this.runq.shift() ?? null;
  }

  /** True when there is work for a thread now. */
  hasWork(now: number): boolean {
    return this.runq.length > 0 || (this.timers.length > 0 && this.timers[0].at <= now);
  }

  /** Starts a poll at `now`: how long epoll_wait may block before the next timer. */
  pollTimeout(now: number): number {
    this.pollDeadline = this.timers.length > 0 ? this.timers[0].at : Infinity;
    return this.pollDeadline === Infinity ? Infinity : Math.max(0, this.pollDeadline - now);
  }
}

/** How a runtime's loop threads behave between fibers. */
export interface LoopStyle {
  /** Several threads share the run queue (Go, Erlang): one polls, the others park in futex. */
  multi: boolean;
  /** Chance that a thread taking work wakes an idle one to spin (Go's wakep), besides when more work waits. */
  wakeChance: number;
  /** sched_yield calls of a thread spinning before it parks: [min, max]. */
  spin: [number, number];
  /** Chance of a non-blocking epoll_wait(…, 0) before parking (Go's findrunnable netpoll check). */
  peekChance: number;
  /** Chance that a poll wakes for an event with nothing to run (EPOLLOUT, another fd) and polls again. */
  spurious: number;
  /** Syscall durations drawn by the runtime (the templates' table). */
  dur: (name: string) => number;
}

/**
 * The routine of one loop thread: run ready fibers; with nothing to run, poll (epoll_wait until
 * the next timer) when no other thread polls, else spin and park in futex until woken.
 */
export function* eventLoop(s: Scheduler, style: LoopStyle, rng: Rng): Routine {
  for (;;) {
    const next = (yield call((th: SimThread) => pick(s, th.t, style.multi))) as Fiber | 'poll' | 'park';
    if (next === 'poll') {
      if (rng.chance(style.spurious)) {
        yield sys('epoll_wait', 1, style.dur('epoll_wait'));
        if ((yield call((th: SimThread) => s.hasWork(th.t))) as boolean) continue;
      }
      const timeout = (yield call((th: SimThread) => s.pollTimeout(th.t))) as number;
      const woke = (yield wait(s.poll, 'epoll_wait', 1, timeout, 0)) as string | null;
      if (woke === BREAK) yield sys('read', 8, style.dur('read'));
      continue;
    }
    if (next === 'park') {
      const spins = rng.int(style.spin[0], style.spin[1]);
      for (let i = 0; i < spins; i++) yield sys('sched_yield', 0, style.dur('sched_yield'));
      if (rng.chance(style.peekChance)) yield sys('epoll_wait', 0, style.dur('epoll_wait'));
      const again = (yield call((th: SimThread) => s.hasWork(th.t))) as boolean;
      if (!again) yield wait(s.idle, 'futex', 0);
      continue;
    }
    if (style.multi && s.idle.waiting > 0 && (s.runq.length > 0 || rng.chance(style.wakeChance))) {
      yield sys('futex', 1, style.dur('futex'));
      yield call(() => s.idle.put(READY));
    }
    yield run(next);
    yield call(() => s.running--);
  }
}

function pick(s: Scheduler, now: number, multi: boolean): Fiber | 'poll' | 'park' {
  const f = s.take(now);
  if (f !== null) {
    if (s.running++ === 0 && s.onBusy !== null) s.onBusy();
    return f;
  }
  return !multi || s.poll.waiting === 0 ? 'poll' : 'park';
}

/** A pool of blocking workers taking tasks in FIFO order (the longest idle worker first). */
export class WorkerPool {
  readonly queue: Channel<Fiber>;

  constructor(engine: Engine) {
    this.queue = new Channel<Fiber>(engine);
  }

  /** True when a worker is idle (a hand-off then wakes it: futex returns 1). */
  get idle(): boolean {
    return this.queue.waiting > 0;
  }

  /** Hands `f` to an idle worker, or queues it. */
  submit(f: Fiber): void {
    this.queue.put(f);
  }
}

/** The routine of a pool worker: block in futex for a task, run it, repeat. */
export function* poolWorker(pool: WorkerPool): Routine {
  for (;;) {
    const f = (yield wait(pool.queue, 'futex', 0)) as Fiber;
    yield run(f);
  }
}
