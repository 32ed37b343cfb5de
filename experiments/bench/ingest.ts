/**
 * Ingest benchmark: how fast the kit reads a large strace file, and how much memory it takes:
 * its streaming reader alone, loadCapture building the syscalls table from the same file, and a
 * naive reader (whole file in memory, split('\n'), one regex per line).
 *
 *   npx tsx experiments/bench/ingest.ts [--lines N] [--seed S]     (default 5,000,000 lines)
 *
 * Writes a seeded synthetic `strace -f --timestamps=unix,ns -T` file (a mix of threads, calls,
 * arguments, errors and unfinished/resumed pairs) into a one-file capture folder in the temp
 * folder (manifest.json and processes.csv beside it), runs each reader in its own child process
 * so that its peak RSS is its own, prints a table, and deletes the folder.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadCapture } from '../../lib/capture/load';
import { writeManifest } from '../../lib/capture/manifest';
import { ProblemLog } from '../../lib/capture/problems';
import { readSyscallFile } from '../../lib/capture/syscalls';

interface Measure {
  lines: number;
  records: number;
  seconds: number;
  peakRssMb: number;
  error?: string;
}

type Rand = () => number;

/** The issue's target for loadCapture on 5M syscalls. */
const TARGET_LINES_PER_S = 1_000_000;
const TARGET_RSS_MB = 1024;

/** Mulberry32: a small seeded generator, so the same seed writes the same file. */
function random(seed: number): Rand {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const int = (r: Rand, n: number) => Math.floor(r() * n);
const EAGAIN = '-1 EAGAIN (Resource temporarily unavailable)';

/**
 * The calls of the synthetic mix: relative weight, arguments and result. Arguments hold what
 * real ones do: strings with quotes, escapes, ")" and " = ", structs, flags, addresses.
 */
const CALLS: { w: number; name: string; args: (r: Rand) => string; ret: (r: Rand) => string }[] = [
  {
    w: 18,
    name: 'futex',
    args: (r) => `0x7f${hex(r, 10)}, FUTEX_WAIT_BITSET_PRIVATE|FUTEX_CLOCK_REALTIME, 0, NULL, FUTEX_BITSET_MATCH_ANY`,
    ret: (r) => (r() < 0.2 ? EAGAIN : '0'),
  },
  {
    w: 12,
    name: 'epoll_wait',
    args: (r) => `${3 + int(r, 5)}, [{events=EPOLLIN, data={u32=${int(r, 99)}, u64=${int(r, 99)}}}], 128, ${r() < 0.5 ? -1 : 1000}`,
    ret: () => '1',
  },
  {
    w: 12,
    name: 'read',
    args: (r) => `${5 + int(r, 40)}, "GET /catalogue?page=${int(r, 9)} HTTP/1.1\\r\\nHost: a = b\\r\\n"..., 4096`,
    ret: (r) => `${int(r, 4096)}`,
  },
  {
    w: 10,
    name: 'write',
    args: (r) => `${5 + int(r, 40)}, "{\\"id\\": \\"${hex(r, 8)}\\", \\"ok\\": true) = x}"..., ${int(r, 900)}`,
    ret: (r) => `${int(r, 900)}`,
  },
  {
    w: 8,
    name: 'recvfrom',
    args: (r) => `${5 + int(r, 40)}, "\\27\\3\\3\\0\\31"..., 65536, 0, NULL, NULL`,
    ret: (r) => (r() < 0.3 ? EAGAIN : `${int(r, 65536)}`),
  },
  {
    w: 8,
    name: 'sendto',
    args: (r) => `${5 + int(r, 40)}, "HTTP/1.1 200 OK\\r\\n"..., ${int(r, 2000)}, MSG_NOSIGNAL, NULL, 0`,
    ret: (r) => `${int(r, 2000)}`,
  },
  { w: 6, name: 'clock_gettime', args: () => 'CLOCK_MONOTONIC, {tv_sec=5069, tv_nsec=298627000}', ret: () => '0' },
  {
    w: 5,
    name: 'openat',
    args: (r) => `AT_FDCWD, "/proc/self/task/${int(r, 9999)}/stat", O_RDONLY|O_CLOEXEC`,
    ret: (r) => (r() < 0.1 ? '-1 ENOENT (No such file or directory)' : `${3 + int(r, 60)}`),
  },
  { w: 5, name: 'close', args: (r) => `${3 + int(r, 60)}`, ret: () => '0' },
  {
    w: 5,
    name: 'mmap',
    args: () => 'NULL, 262144, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0',
    ret: (r) => `0x7f${hex(r, 10)}`,
  },
  { w: 4, name: 'nanosleep', args: () => '{tv_sec=0, tv_nsec=20000}, NULL', ret: () => '0' },
  { w: 4, name: 'getpid', args: () => '', ret: () => '4242' },
  {
    w: 3,
    name: 'accept4',
    args: (r) =>
      `${3 + int(r, 4)}, {sa_family=AF_INET, sin_port=htons(${1024 + int(r, 60000)}), ` +
      `sin_addr=inet_addr("10.0.0.${int(r, 250)}")}, [16], SOCK_CLOEXEC|SOCK_NONBLOCK`,
    ret: (r) => `${5 + int(r, 40)}`,
  },
];
const TOTAL_WEIGHT = CALLS.reduce((s, c) => s + c.w, 0);

function hex(r: Rand, digits: number): string {
  let s = '';
  for (let i = 0; i < digits; i++) s += '0123456789abcdef'[int(r, 16)];
  return s;
}

function pick(r: Rand): (typeof CALLS)[number] {
  let x = r() * TOTAL_WEIGHT;
  for (const c of CALLS) if ((x -= c.w) < 0) return c;
  return CALLS[CALLS.length - 1];
}

/** Writes `lines` lines of synthetic strace output (ns timestamps, -T) to `path`. */
function generate(path: string, lines: number, seed: number): void {
  const r = random(seed);
  const tids = Array.from({ length: 48 }, (_, k) => 4000 + k * 7);
  const open = new Map<number, { name: string }>(); // tid -> unfinished call
  let sec = 1_795_686_628;
  let nsec = 0;
  const fd = openSync(path, 'w');
  let text = '';
  let written = 0;
  while (written < lines) {
    nsec += 200 + int(r, 3000);
    if (nsec >= 1e9) {
      sec++;
      nsec -= 1e9;
    }
    const tid = tids[int(r, tids.length)];
    const ts = `${sec}.${`${nsec}`.padStart(9, '0')}`;
    const prefix = `${tid}`.padEnd(5);
    const pending = open.get(tid);
    const dur = `<0.${`${int(r, 900_000)}`.padStart(6, '0')}>`;
    let line: string;
    if (pending !== undefined) {
      open.delete(tid);
      line = `${prefix} ${ts} <... ${pending.name} resumed>) = 0 ${dur}`;
    } else {
      const call = pick(r);
      if (r() < 0.02) {
        open.set(tid, { name: call.name });
        line = `${prefix} ${ts} ${call.name}(${call.args(r)} <unfinished ...>`;
      } else if (r() < 0.0005) {
        line = `${prefix} ${ts} --- SIGCHLD {si_signo=SIGCHLD, si_code=CLD_EXITED, si_pid=${tid + 1}, si_status=0} ---`;
      } else {
        line = `${`${prefix} ${ts} ${call.name}(${call.args(r)})`.padEnd(40)} = ${call.ret(r)} ${dur}`;
      }
    }
    text += `${line}\n`;
    written++;
    if (text.length > 1 << 22) {
      writeSync(fd, text);
      text = '';
      process.stderr.write(`\rgenerating: ${Math.floor((100 * written) / lines)}%`);
    }
  }
  writeSync(fd, text);
  closeSync(fd);
  process.stderr.write('\r                \r');
}

/** The process every thread of the synthetic file belongs to (the manifest entry's pid). */
const PID = 4000;
/** The synthetic file's host and its path inside the capture folder. */
const HOST = 'bench-1';
const SYSCALL_PATH = 'syscalls/bench-1.strace';

/** Writes the one-file capture folder around the synthetic file: manifest.json and processes.csv. */
async function writeCaptureFolder(dir: string, seed: number): Promise<void> {
  await writeManifest(dir, {
    format: 'deepstitch-capture/1', name: 'ingest-bench', source: 'simulated', mode: 'live', app: 'bench',
    createdAt: new Date().toISOString(),
    generator: { tool: 'experiments/bench/ingest.ts', version: '1', seed },
    traces: [],
    syscalls: [{ host: HOST, path: SYSCALL_PATH, format: 'strace', clock: 'realtime', offsetNs: 0n, pid: PID }],
  });
  writeFileSync(join(dir, 'processes.csv'), `host,pid,service,instance,runtime\n${HOST},${PID},bench,bench-1,other\n`);
}

/** The kit's reader: streams the file and counts records (they are not kept). */
async function readWithKit(path: string): Promise<Measure> {
  const t0 = process.hrtime.bigint();
  let records = 0;
  const stats = await readSyscallFile(path, 'strace', () => records++, { problems: new ProblemLog(), pid: PID });
  return { lines: stats.lines, records, seconds: Number(process.hrtime.bigint() - t0) / 1e9, peakRssMb: peakRssMb() };
}

/** loadCapture of the folder: every record kept, joined to processes.csv and sorted in the table. */
async function loadWithKit(dir: string): Promise<Measure> {
  const t0 = process.hrtime.bigint();
  const c = await loadCapture(dir);
  const lines = c.stats[SYSCALL_PATH].lines;
  return { lines, records: c.syscalls.numRows(), seconds: Number(process.hrtime.bigint() - t0) / 1e9, peakRssMb: peakRssMb() };
}

const NAIVE_LINE = /^(\d+) +(\d+)\.(\d+) (\w+)\((.*)\) *= (-?\w+|\?)(?: [^<]*)?(?: <(\d+\.\d+)>)?$/;
/** V8 strings stop short of 512 MiB, so the naive reader decodes the buffer in pieces below that. */
const NAIVE_PIECE = 256 * 1024 * 1024;

/** The naive reader: the whole file in memory, split('\n'), one regex per line. */
function readNaively(path: string): Measure {
  const t0 = process.hrtime.bigint();
  const bytes = readFileSync(path);
  let lines = 0;
  let records = 0;
  for (let start = 0; start < bytes.length; ) {
    let end = Math.min(start + NAIVE_PIECE, bytes.length);
    if (end < bytes.length) end = bytes.lastIndexOf(10, end - 1) + 1;
    const all = bytes.toString('utf8', start, end).split('\n');
    if (all[all.length - 1] === '') all.pop();
    for (const line of all) {
      lines++;
      if (NAIVE_LINE.test(line)) records++;
    }
    start = end;
  }
  return { lines, records, seconds: Number(process.hrtime.bigint() - t0) / 1e9, peakRssMb: peakRssMb() };
}

function peakRssMb(): number {
  return process.resourceUsage().maxRSS / 1024; // maxRSS is in KiB
}

type Reader = 'kit' | 'load' | 'naive';

/** Runs one reader in a child process (this file with --child) and returns its measure. */
function runChild(which: Reader, path: string): Measure {
  const self = fileURLToPath(import.meta.url);
  process.stderr.write(`reading with the ${which} reader...\r`);
  const out = spawnSync(process.execPath, ['--import', 'tsx', self, '--child', which, path], {
    cwd: join(dirname(self), '..', '..'), // where node_modules/tsx is
    encoding: 'utf8',
  });
  process.stderr.write('                                  \r');
  const last = out.stdout.trim().split('\n').pop() ?? '';
  if (out.status !== 0 || !last.startsWith('{')) {
    const error = (out.stderr || out.stdout).trim().split('\n').slice(-3).join(' ');
    return { lines: 0, records: 0, seconds: 0, peakRssMb: 0, error };
  }
  return JSON.parse(last) as Measure;
}

function option(name: string, fallback: number): number {
  const k = process.argv.indexOf(name);
  if (k < 0) return fallback;
  const v = Number(process.argv[k + 1]);
  if (!Number.isSafeInteger(v) || v <= 0) throw new Error(`${name}: expected a positive integer, got "${process.argv[k + 1]}"`);
  return v;
}

async function main(): Promise<void> {
  const child = process.argv.indexOf('--child');
  if (child >= 0) {
    const which = process.argv[child + 1];
    const path = process.argv[child + 2];
    const m = which === 'kit' ? await readWithKit(path) : which === 'load' ? await loadWithKit(path) : readNaively(path);
    process.stdout.write(`${JSON.stringify(m)}\n`);
    return;
  }
  const lines = option('--lines', 5_000_000);
  const seed = option('--seed', 7);
  const dir = mkdtempSync(join(tmpdir(), 'deepstitch-ingest-'));
  const path = join(dir, SYSCALL_PATH);
  try {
    const g0 = Date.now();
    mkdirSync(dirname(path));
    generate(path, lines, seed);
    await writeCaptureFolder(dir, seed);
    const mb = statSync(path).size / 1024 / 1024;
    const took = ((Date.now() - g0) / 1000).toFixed(1);
    console.log(`data: SYNTHETIC strace file (seed ${seed}), ${lines.toLocaleString('en')} lines, ${mb.toFixed(0)} MB, ns timestamps, written in ${took} s`);
    const kit = runChild('kit', path);
    const load = runChild('load', dir);
    const naive = runChild('naive', path);
    const cells = (c: string[]) => `${c[0].padEnd(34)} ${c.slice(1).map((x, k) => x.padStart([10, 10, 8, 12, 11][k])).join(' ')}`;
    const row = (name: string, m: Measure) =>
      m.error !== undefined
        ? `${name.padEnd(34)} failed: ${m.error}`
        : cells([name, `${m.lines}`, `${m.records}`, m.seconds.toFixed(2), Math.round(m.lines / m.seconds).toLocaleString('en'), m.peakRssMb.toFixed(0)]);
    console.log(cells(['reader', 'lines', 'records', 'seconds', 'lines/s', 'peak RSS MB']));
    console.log(row('kit readSyscallFile (streaming)', kit));
    console.log(row('kit loadCapture (1-file capture)', load));
    console.log(row('naive readFileSync+split+regex', naive));
    if (kit.error === undefined && naive.error === undefined) {
      const speed = kit.lines / kit.seconds / (naive.lines / naive.seconds);
      console.log(`kit / naive: ${speed.toFixed(2)}x the lines/s, ${(kit.peakRssMb / naive.peakRssMb).toFixed(2)}x the peak RSS`);
    }
    if (load.error === undefined) {
      const fast = load.lines / load.seconds >= TARGET_LINES_PER_S;
      const small = load.peakRssMb < TARGET_RSS_MB;
      console.log(`loadCapture target (>= ${TARGET_LINES_PER_S.toLocaleString('en')} lines/s, peak RSS < ${TARGET_RSS_MB} MB): ` +
        `speed ${fast ? 'met' : 'MISSED'}, memory ${small ? 'met' : 'MISSED'}`);
    }
    console.log('records: the kit joins unfinished/resumed pairs into one call and counts signal lines apart;');
    console.log('loadCapture\'s records are the rows of its syscalls table. The naive regex counts the lines it');
    console.log('matches. Peak RSS is each child\'s maxRSS, Node and tsx included (about 80 MB of it here).');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
