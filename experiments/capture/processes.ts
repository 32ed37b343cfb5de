/**
 * The processes the harness starts (the shop's services, the recorders), kept by pid so that every
 * one is stopped at the end, on error and on Ctrl-C: SIGTERM (or the signal given), then SIGKILL
 * for a process still alive after a grace period.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';

/** One started process. */
export interface Started {
  name: string;
  pid: number;
  child: ChildProcess;
  /** Settles when the process has exited (with its code or signal). */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Options of {@link Processes.start}. */
export interface StartOptions {
  env?: Record<string, string>;
  /** The process's stdout and stderr go to this file (appended). */
  log: string;
}

/** Starts processes and stops every one of them by pid. */
export class Processes {
  private readonly running = new Map<number, Started>();

  /** Starts `command args` with its output sent to `opts.log`; throws when it cannot start. */
  async start(name: string, command: string, args: readonly string[], opts: StartOptions): Promise<Started> {
    const out = createWriteStream(opts.log, { flags: 'a' });
    await new Promise<void>((resolve, reject) => out.once('open', () => resolve()).once('error', reject));
    const child = spawn(command, args, { env: { ...process.env, ...opts.env }, stdio: ['ignore', out, out] });
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', (e) => reject(new Error(`cannot start ${name} (${command}): ${e.message}`)));
    });
    const pid = child.pid!;
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
      child.once('exit', (code, signal) => {
        this.running.delete(pid);
        out.end();
        resolve({ code, signal });
      });
    });
    const started = { name, pid, child, exited };
    this.running.set(pid, started);
    return started;
  }

  /** The processes still running. */
  list(): Started[] {
    return [...this.running.values()];
  }

  /** Stops one process: `signal`, then SIGKILL after `graceMs`; resolves once it has exited. */
  async stop(p: Started, signal: NodeJS.Signals = 'SIGTERM', graceMs = 5000): Promise<void> {
    if (!this.running.has(p.pid)) return;
    try {
      process.kill(p.pid, signal);
    } catch {
      return; // already gone
    }
    const timer = setTimeout(() => {
      if (!this.running.has(p.pid)) return;
      try {
        process.kill(p.pid, 'SIGKILL');
      } catch {
        // ESRCH: it exited after the check, before its exit event reached us.
      }
    }, graceMs);
    await p.exited;
    clearTimeout(timer);
  }

  /** Stops every process still running, the last started first. */
  async stopAll(): Promise<void> {
    await Promise.all(this.list().reverse().map((p) => this.stop(p)));
  }
}
