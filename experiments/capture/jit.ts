/**
 * How busy the JVMs' JIT compiler threads are, read from /proc by the harness (no syscall of the
 * JVMs themselves): a warm-up is repeated until the compilers are quiet, so that the recorded phases
 * are not full of compilation bursts (see README: with a short warm-up the C1 thread made a fifth
 * of the calls and the method mistook it for the request's thread).
 */
import { readFile, readdir } from 'node:fs/promises';

/** Thread names (comm) of HotSpot's compiler threads ("C1 CompilerThre", "C2 CompilerThre"). */
const COMPILER = /^C[12] CompilerThre/;

/**
 * Times the compiler threads of the processes have been scheduled in so far (the third field of
 * /proc/PID/task/TID/schedstat: one per wake-up, so one or more per compilation).
 */
export async function compilerSlices(pids: readonly number[]): Promise<number> {
  let total = 0;
  for (const pid of pids) {
    for (const tid of await readdir(`/proc/${pid}/task`).catch(() => [] as string[])) {
      const comm = await readFile(`/proc/${pid}/task/${tid}/comm`, 'utf8').catch(() => '');
      if (!COMPILER.test(comm)) continue;
      const stat = await readFile(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').catch(() => '');
      const slices = Number(stat.trim().split(' ')[2]);
      if (Number.isFinite(slices)) total += slices;
    }
  }
  return total;
}
