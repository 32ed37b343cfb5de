/**
 * The discrete-event core: an event queue on one simulated clock, threads that run routines
 * (generators yielding syscalls, CPU time and waits), fibers (a request's handler, a goroutine, a
 * callback chain) that run on threads, and channels that hand messages to waiting threads or
 * fibers. Times are integer ns from the capture's origin.
 *
 * A thread runs ahead on its own clock through syscalls and CPU time, which touch nothing shared;
 * an op that touches shared state (a wait, a call) first brings the thread back in step with the
 * event queue, so every hand-off happens in global time order.
 */
import type { Rng } from './rng';

/** Where a thread's process runs and what it is (what a syscall record needs). */
export interface ProcessRef {
  host: string;
  pid: number;
  service: string;
  instance: string;
}

/** Anything a message can be delivered to at the current time. */
export interface Sink<M = unknown> {
  put(msg: M): void;
}

/** Takes a parked fiber back when its wait is over (an event loop, a Go scheduler). */
export interface Parker {
  ready(f: Fiber): void;
  /** Parks `f` until `at` (a timer on the loop). */
  timer(at: number, f: Fiber): void;
}

/** A system call of `dur` ns starting now on the running thread. */
export interface SysOp {
  k: 'sys';
  name: string;
  ret: number;
  dur: number;
}
/** User-space work: the thread's clock moves on, no syscall. */
export interface CpuOp {
  k: 'cpu';
  ns: number;
}
/**
 * Waits for a message on `ch`. On a blocking thread the wait is the syscall `name` (read,
 * futex, epoll_wait ...) from now until the message comes (ret from `ret`) or the timeout (ret
 * `timeoutRet`, the routine gets null). On an event-loop thread the fiber parks instead and the
 * thread goes back to its loop; no syscall is made for the fiber.
 */
export interface WaitOp {
  k: 'wait';
  ch: Channel;
  name: string;
  ret: number | ((msg: unknown) => number);
  timeout: number;
  timeoutRet: number;
}
/** Sleeps `ns`: the syscall `name` on a blocking thread; a timer on an event loop. */
export interface SleepOp {
  k: 'sleep';
  ns: number;
  name: string;
  ret: number;
}
/**
 * Delivers `msg` to `to` after `delay` ns (the network, a pipe). On a `stream` (one direction of
 * a TCP connection) messages arrive in the order they were sent, whatever their delays.
 */
export interface SendOp {
  k: 'send';
  to: Sink;
  msg: unknown;
  delay: number;
  stream: Stream | null;
}

/** One direction of a connection: the arrival time of its latest message. */
export interface Stream {
  last: number;
}
/** Runs `fiber` on this thread until it parks or ends (event loops, worker pools). */
export interface RunOp {
  k: 'run';
  fiber: Fiber;
}
/** Runs `fn` at the thread's time on the global clock; the routine gets its result. */
export interface CallOp {
  k: 'call';
  fn: (th: SimThread, fiber: Fiber | null) => unknown;
}

/** What a routine yields. */
export type Op = SysOp | CpuOp | WaitOp | SleepOp | SendOp | RunOp | CallOp;

/** A thread's or fiber's code: yields ops, receives each op's result. */
export type Routine<T = void> = Generator<Op, T, any>;

/** A system call record op. */
export const sys = (name: string, ret: number, dur: number): SysOp => ({ k: 'sys', name, ret, dur });
/** A CPU-time op. */
export const cpu = (ns: number): CpuOp => ({ k: 'cpu', ns });
/** A wait op (see WaitOp). */
export const wait = (ch: Channel, name: string, ret: WaitOp['ret'], timeout = Infinity, timeoutRet = 0): WaitOp =>
  ({ k: 'wait', ch, name, ret, timeout, timeoutRet });
/** A sleep op (see SleepOp). */
export const sleep = (ns: number, name: string, ret: number): SleepOp => ({ k: 'sleep', ns, name, ret });
/** A send op (see SendOp). */
export const send = (to: Sink, msg: unknown, delay: number, stream: Stream | null = null): SendOp => ({ k: 'send', to, msg, delay, stream });
/** A run op (see RunOp). */
export const run = (fiber: Fiber): RunOp => ({ k: 'run', fiber });
/** A call op (see CallOp). */
export const call = (fn: (th: SimThread, fiber: Fiber | null) => unknown): CallOp => ({ k: 'call', fn });

/** Receives every completed syscall. `fiber` is the fiber that made it, null for a thread's own loop. */
export interface SyscallOut {
  syscall(th: SimThread, fiber: Fiber | null, name: string, ret: number, ts: number, dur: number): void;
}

/** A logical flow of work that runs on threads: a request handler, a goroutine, a callback chain. */
export class Fiber {
  /** The value the fiber's next step receives. */
  resume: unknown = undefined;
  /** Its innermost open span (index in the span log), -1 when none: syscalls are counted for it. */
  span: number;
  /** The event loop it parks on while it runs on a loop thread. */
  parker: Parker | null = null;
  private onDone: (() => void)[] = [];
  done = false;

  constructor(readonly gen: Routine<unknown>, span = -1) {
    this.span = span;
  }

  /** Calls `fn` when the fiber ends (at once if it has). */
  whenDone(fn: () => void): void {
    if (this.done) fn();
    else this.onDone.push(fn);
  }

  /** Marks the fiber ended and tells those waiting for it. */
  finish(): void {
    this.done = true;
    const fns = this.onDone;
    this.onDone = [];
    for (const fn of fns) fn();
  }
}

/** An OS thread of a simulated process. */
export class SimThread {
  /** The thread's own clock: at or after the engine's. */
  t = 0;
  /** The fiber it runs now, or null when it runs its main routine. */
  fiber: Fiber | null = null;
  /** Loop threads: where their fibers park. */
  parker: Parker | null = null;
  started = false;
  /** Set by the engine: an op waiting for the global clock, the value for the next step. */
  pending: Op | null = null;
  resume: unknown = undefined;
  readonly step: () => void;

  /**
   * `mode` 'loop': an event-loop or Go M thread, whose fibers park on waits; 'block': a thread
   * whose waits block it. `main` is its own routine (null for a thread that runs one fiber and
   * exits, like orders' @Async threads).
   */
  constructor(
    readonly engine: Engine,
    readonly proc: ProcessRef,
    readonly tid: number,
    readonly comm: string,
    readonly role: string,
    readonly mode: 'loop' | 'block',
    public main: Routine<unknown> | null,
  ) {
    this.step = () => engine.step(this);
  }

  /** Starts the thread at `at` (running `fiber` first when given). */
  start(at: number, fiber?: Fiber): void {
    if (this.started) throw new Error(`thread ${this.tid} started twice`);
    this.started = true;
    this.t = at;
    if (fiber !== undefined) this.fiber = fiber;
    this.engine.at(at, this.step);
  }
}

interface Waiter {
  th: SimThread | null;
  fiber: Fiber | null;
  op: WaitOp;
  since: number;
  live: boolean;
}

/**
 * A queue of messages with a queue of waiters: a message goes to the first waiter (FIFO, as
 * condition variables and Tomcat's task queue hand out work) or, with 'lifo', to the last.
 */
export class Channel<M = unknown> implements Sink<M> {
  private readonly messages: M[] = [];
  private readonly waiters: Waiter[] = [];

  constructor(readonly engine: Engine, readonly order: 'fifo' | 'lifo' = 'fifo') {}

  /** Threads and fibers waiting now. */
  get waiting(): number {
    return this.waiters.length;
  }

  /** Messages queued now. */
  get size(): number {
    return this.messages.length;
  }

  /** Delivers now: wakes a waiter or queues the message. */
  put(msg: M): void {
    const w = this.order === 'lifo' ? this.waiters.pop() : this.waiters.shift();
    if (w === undefined) {
      this.messages.push(msg);
      return;
    }
    w.live = false;
    this.engine.wake(w, msg);
  }

  /** Takes a queued message now, or undefined. */
  take(): M | undefined {
    return this.messages.shift();
  }

  /** @internal */
  addWaiter(w: Waiter): void {
    this.waiters.push(w);
  }

  /** @internal */
  removeWaiter(w: Waiter): void {
    const i = this.waiters.indexOf(w);
    if (i >= 0) this.waiters.splice(i, 1);
  }
}

interface Event {
  t: number;
  seq: number;
  fn: () => void;
}

/** The event queue and the thread stepper. */
export class Engine {
  /** The global clock: the time of the event being run. */
  now = 0;
  private readonly heap: Event[] = [];
  private seq = 0;
  /** The end of the current run: a thread running ahead on its own clock stops there. */
  private limit = Infinity;

  /** `rng` draws wake-up latencies; `out` receives every syscall. */
  constructor(readonly rng: Rng, readonly out: SyscallOut) {}

  /** Runs `fn` at time `t` (not before now); same-time events run in the order they were added. */
  at(t: number, fn: () => void): void {
    const h = this.heap;
    const e: Event = { t: t < this.now ? this.now : t, seq: this.seq++, fn };
    let i = h.length;
    h.push(e);
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!before(e, h[p])) break;
      h[i] = h[p];
      i = p;
    }
    h[i] = e;
  }

  /** Runs events until the queue is empty or the next one is after `until`. */
  run(until: number): void {
    this.limit = until;
    const h = this.heap;
    while (h.length > 0 && h[0].t <= until) {
      const e = h[0];
      const last = h.pop() as Event;
      if (h.length > 0) {
        let i = 0;
        for (;;) {
          const l = 2 * i + 1;
          if (l >= h.length) break;
          const c = l + 1 < h.length && before(h[l + 1], h[l]) ? l + 1 : l;
          if (!before(h[c], last)) break;
          h[i] = h[c];
          i = c;
        }
        h[i] = last;
      }
      this.now = e.t;
      e.fn();
    }
    if (this.now < until) this.now = until;
  }

  /** How long a woken thread takes to run again (scheduler wake-up latency). */
  wakeNs(): number {
    return 2000 + Math.round(this.rng.lognormal(6000, 0.6));
  }

  /** Steps `th` until it blocks, ends or must wait for the global clock. */
  step(th: SimThread): void {
    for (;;) {
      let op: Op;
      if (th.pending !== null) {
        op = th.pending;
        th.pending = null;
      } else {
        const f = th.fiber;
        const g = f !== null ? f.gen : th.main;
        if (g === null) return; // a thread whose one fiber ended: it has exited
        const r = g.next(th.resume);
        th.resume = undefined;
        if (r.done === true) {
          if (f === null) {
            th.main = null;
            return;
          }
          th.fiber = null;
          f.finish();
          continue;
        }
        op = r.value;
      }
      switch (op.k) {
        case 'sys':
          this.out.syscall(th, th.fiber, op.name, op.ret, th.t, op.dur);
          if (op.dur > 0) th.t += op.dur; // NaN: a call that never returns (exit)
          if (th.t > this.limit) return this.at(th.t, th.step);
          continue;
        case 'cpu':
          th.t += op.ns;
          continue;
        case 'send': {
          const { to, msg, stream } = op;
          let at = th.t + op.delay;
          if (stream !== null) at = stream.last = Math.max(at, stream.last + 1);
          this.at(at, () => to.put(msg));
          continue;
        }
        case 'sleep':
          if (th.fiber === null || th.mode === 'block') {
            this.out.syscall(th, th.fiber, op.name, op.ret, th.t, op.ns);
            th.t += op.ns;
            if (th.t > this.limit) return this.at(th.t, th.step);
            continue;
          }
          break;
        default:
          break;
      }
      // The ops below touch shared state: run them in step with the event queue.
      if (th.t > this.now) {
        th.pending = op;
        this.at(th.t, th.step);
        return;
      }
      switch (op.k) {
        case 'call':
          th.resume = op.fn(th, th.fiber);
          continue;
        case 'run': {
          const f = op.fiber;
          th.fiber = f;
          f.parker = th.parker;
          th.resume = f.resume;
          f.resume = undefined;
          continue;
        }
        case 'sleep': {
          const f = th.fiber as Fiber;
          (th.parker as Parker).timer(th.t + op.ns, f);
          th.fiber = null;
          continue;
        }
        case 'wait':
          if (this.startWait(th, op)) continue;
          return;
        default:
          throw new Error(`unexpected op ${(op as Op).k}`);
      }
    }
  }

  /** Starts a wait at the thread's time; false when the thread blocks. */
  private startWait(th: SimThread, op: WaitOp): boolean {
    const f = th.fiber;
    const ready = op.ch.size > 0;
    if (f !== null && th.mode === 'loop') {
      if (ready) th.resume = op.ch.take();
      else {
        op.ch.addWaiter({ th: null, fiber: f, op, since: th.t, live: true });
        th.fiber = null;
      }
      return true;
    }
    if (ready) {
      const msg = op.ch.take();
      const dur = 600 + Math.round(this.rng.lognormal(1500, 0.4));
      this.out.syscall(th, f, op.name, retOf(op, msg), th.t, dur);
      th.t += dur;
      th.resume = msg;
      return true;
    }
    const w: Waiter = { th, fiber: f, op, since: th.t, live: true };
    op.ch.addWaiter(w);
    if (op.timeout !== Infinity) {
      this.at(th.t + op.timeout, () => {
        if (!w.live) return;
        w.live = false;
        op.ch.removeWaiter(w);
        this.out.syscall(th, f, op.name, op.timeoutRet, w.since, op.timeout);
        th.t = w.since + op.timeout;
        th.resume = null;
        this.step(th);
      });
    }
    return false;
  }

  /** @internal Ends a wait with `msg` now: a blocked thread runs again, a parked fiber is ready. */
  wake(w: Waiter, msg: unknown): void {
    if (w.th === null) {
      const f = w.fiber as Fiber;
      f.resume = msg;
      (f.parker as Parker).ready(f);
      return;
    }
    const th = w.th;
    const at = this.now + this.wakeNs();
    this.out.syscall(th, w.fiber, w.op.name, retOf(w.op, msg), w.since, at - w.since);
    th.t = at;
    th.resume = msg;
    this.at(at, th.step);
  }
}

function retOf(op: WaitOp, msg: unknown): number {
  return typeof op.ret === 'function' ? op.ret(msg) : op.ret;
}

function before(a: Event, b: Event): boolean {
  return a.t < b.t || (a.t === b.t && a.seq < b.seq);
}
