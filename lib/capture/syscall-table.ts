/**
 * x86-64 Linux system call numbers and names (arch/x86/entry/syscalls/syscall_64.tbl), as eBPF's
 * `raw_syscalls` tracepoints report them in `args->id`. Covers 0..334 and 424..470 (Linux 6.19);
 * 335..423 are unassigned on x86-64, and 512.. are x32 calls, which a 64-bit capture does not hold.
 */

/** Names of calls 0..334, indexed by number. */
const LOW = [
  'read', 'write', 'open', 'close', 'stat', 'fstat', 'lstat', 'poll', 'lseek', 'mmap', 'mprotect',
  'munmap', 'brk', 'rt_sigaction', 'rt_sigprocmask', 'rt_sigreturn', 'ioctl', 'pread64', 'pwrite64',
  'readv', 'writev', 'access', 'pipe', 'select', 'sched_yield', 'mremap', 'msync', 'mincore',
  'madvise', 'shmget', 'shmat', 'shmctl', 'dup', 'dup2', 'pause', 'nanosleep', 'getitimer', 'alarm',
  'setitimer', 'getpid', 'sendfile', 'socket', 'connect', 'accept', 'sendto', 'recvfrom', 'sendmsg',
  'recvmsg', 'shutdown', 'bind', 'listen', 'getsockname', 'getpeername', 'socketpair', 'setsockopt',
  'getsockopt', 'clone', 'fork', 'vfork', 'execve', 'exit', 'wait4', 'kill', 'uname', 'semget',
  'semop', 'semctl', 'shmdt', 'msgget', 'msgsnd', 'msgrcv', 'msgctl', 'fcntl', 'flock', 'fsync',
  'fdatasync', 'truncate', 'ftruncate', 'getdents', 'getcwd', 'chdir', 'fchdir', 'rename', 'mkdir',
  'rmdir', 'creat', 'link', 'unlink', 'symlink', 'readlink', 'chmod', 'fchmod', 'chown', 'fchown',
  'lchown', 'umask', 'gettimeofday', 'getrlimit', 'getrusage', 'sysinfo', 'times', 'ptrace',
  'getuid', 'syslog', 'getgid', 'setuid', 'setgid', 'geteuid', 'getegid', 'setpgid', 'getppid',
  'getpgrp', 'setsid', 'setreuid', 'setregid', 'getgroups', 'setgroups', 'setresuid', 'getresuid',
  'setresgid', 'getresgid', 'getpgid', 'setfsuid', 'setfsgid', 'getsid', 'capget', 'capset',
  'rt_sigpending', 'rt_sigtimedwait', 'rt_sigqueueinfo', 'rt_sigsuspend', 'sigaltstack', 'utime',
  'mknod', 'uselib', 'personality', 'ustat', 'statfs', 'fstatfs', 'sysfs', 'getpriority',
  'setpriority', 'sched_setparam', 'sched_getparam', 'sched_setscheduler', 'sched_getscheduler',
  'sched_get_priority_max', 'sched_get_priority_min', 'sched_rr_get_interval', 'mlock', 'munlock',
  'mlockall', 'munlockall', 'vhangup', 'modify_ldt', 'pivot_root', '_sysctl', 'prctl', 'arch_prctl',
  'adjtimex', 'setrlimit', 'chroot', 'sync', 'acct', 'settimeofday', 'mount', 'umount2', 'swapon',
  'swapoff', 'reboot', 'sethostname', 'setdomainname', 'iopl', 'ioperm', 'create_module',
  'init_module', 'delete_module', 'get_kernel_syms', 'query_module', 'quotactl', 'nfsservctl',
  'getpmsg', 'putpmsg', 'afs_syscall', 'tuxcall', 'security', 'gettid', 'readahead', 'setxattr',
  'lsetxattr', 'fsetxattr', 'getxattr', 'lgetxattr', 'fgetxattr', 'listxattr', 'llistxattr',
  'flistxattr', 'removexattr', 'lremovexattr', 'fremovexattr', 'tkill', 'time', 'futex',
  'sched_setaffinity', 'sched_getaffinity', 'set_thread_area', 'io_setup', 'io_destroy',
  'io_getevents', 'io_submit', 'io_cancel', 'get_thread_area', 'lookup_dcookie', 'epoll_create',
  'epoll_ctl_old', 'epoll_wait_old', 'remap_file_pages', 'getdents64', 'set_tid_address',
  'restart_syscall', 'semtimedop', 'fadvise64', 'timer_create', 'timer_settime', 'timer_gettime',
  'timer_getoverrun', 'timer_delete', 'clock_settime', 'clock_gettime', 'clock_getres',
  'clock_nanosleep', 'exit_group', 'epoll_wait', 'epoll_ctl', 'tgkill', 'utimes', 'vserver',
  'mbind', 'set_mempolicy', 'get_mempolicy', 'mq_open', 'mq_unlink', 'mq_timedsend',
  'mq_timedreceive', 'mq_notify', 'mq_getsetattr', 'kexec_load', 'waitid', 'add_key', 'request_key',
  'keyctl', 'ioprio_set', 'ioprio_get', 'inotify_init', 'inotify_add_watch', 'inotify_rm_watch',
  'migrate_pages', 'openat', 'mkdirat', 'mknodat', 'fchownat', 'futimesat', 'newfstatat',
  'unlinkat', 'renameat', 'linkat', 'symlinkat', 'readlinkat', 'fchmodat', 'faccessat', 'pselect6',
  'ppoll', 'unshare', 'set_robust_list', 'get_robust_list', 'splice', 'tee', 'sync_file_range',
  'vmsplice', 'move_pages', 'utimensat', 'epoll_pwait', 'signalfd', 'timerfd_create', 'eventfd',
  'fallocate', 'timerfd_settime', 'timerfd_gettime', 'accept4', 'signalfd4', 'eventfd2',
  'epoll_create1', 'dup3', 'pipe2', 'inotify_init1', 'preadv', 'pwritev', 'rt_tgsigqueueinfo',
  'perf_event_open', 'recvmmsg', 'fanotify_init', 'fanotify_mark', 'prlimit64', 'name_to_handle_at',
  'open_by_handle_at', 'clock_adjtime', 'syncfs', 'sendmmsg', 'setns', 'getcpu', 'process_vm_readv',
  'process_vm_writev', 'kcmp', 'finit_module', 'sched_setattr', 'sched_getattr', 'renameat2',
  'seccomp', 'getrandom', 'memfd_create', 'kexec_file_load', 'bpf', 'execveat', 'userfaultfd',
  'membarrier', 'mlock2', 'copy_file_range', 'preadv2', 'pwritev2', 'pkey_mprotect', 'pkey_alloc',
  'pkey_free', 'statx', 'io_pgetevents', 'rseq',
];

/** Names of calls 424..470 (the numbers shared by all architectures since Linux 5.1). */
const HIGH_FIRST = 424;
const HIGH = [
  'pidfd_send_signal', 'io_uring_setup', 'io_uring_enter', 'io_uring_register', 'open_tree',
  'move_mount', 'fsopen', 'fsconfig', 'fsmount', 'fspick', 'pidfd_open', 'clone3', 'close_range',
  'openat2', 'pidfd_getfd', 'faccessat2', 'process_madvise', 'epoll_pwait2', 'mount_setattr',
  'quotactl_fd', 'landlock_create_ruleset', 'landlock_add_rule', 'landlock_restrict_self',
  'memfd_secret', 'process_mrelease', 'futex_waitv', 'set_mempolicy_home_node', 'cachestat',
  'fchmodat2', 'map_shadow_stack', 'futex_wake', 'futex_wait', 'futex_requeue', 'statmount',
  'listmount', 'lsm_get_self_attr', 'lsm_set_self_attr', 'lsm_list_modules', 'mseal', 'setxattrat',
  'getxattrat', 'listxattrat', 'removexattrat', 'open_tree_attr', 'file_getattr', 'file_setattr',
  'listns',
];

const NUMBERS = new Map<string, number>([
  ...LOW.map((n, i) => [n, i] as [string, number]),
  ...HIGH.map((n, i) => [n, HIGH_FIRST + i] as [string, number]),
]);

/** The name of x86-64 syscall `nr`, or undefined for a number the table does not know. */
export function syscallName(nr: number): string | undefined {
  if (!Number.isInteger(nr) || nr < 0) return undefined;
  if (nr < LOW.length) return LOW[nr];
  return HIGH[nr - HIGH_FIRST];
}

/** The x86-64 number of a syscall name, or undefined (the inverse of syscallName). */
export function syscallNumber(name: string): number | undefined {
  return NUMBERS.get(name);
}

/** A syscall column's value read by readSyscallField. */
export interface SyscallField {
  name: string;
  /** False for a number the table does not know, named "syscall_<n>". */
  known: boolean;
}

const NAME = /^[a-z0-9_]+$/;
const NUMBER = /^\d{1,6}$/;

/**
 * Reads a syscall column that holds a name ("futex") or an x86-64 number ("202", as eBPF's
 * raw_syscalls gives it). A number the table does not know is kept as "syscall_<n>" (what strace
 * prints for such calls) with `known: false`, so a newer kernel's calls are not lost. null when
 * the text is neither a name nor a number.
 */
export function readSyscallField(text: string): SyscallField | null {
  if (NUMBER.test(text)) {
    const nr = Number(text);
    const name = syscallName(nr);
    return name === undefined ? { name: `syscall_${nr}`, known: false } : { name, known: true };
  }
  return NAME.test(text) ? { name: text, known: true } : null;
}
