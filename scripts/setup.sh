#!/usr/bin/env bash
# npm run setup: everything the kit needs on a fresh Debian 12 machine with Node >= 20.19.
#   1. Debian packages: Jupyter's minimal set (to run notebooks headless), chromium (static
#      images of plotly figures), and what the real shop capture needs (a JDK to compile its Java
#      services, redis-server, bpftrace and strace to record syscalls). Installed when root;
#      otherwise the exact command is printed. As root, tracefs is mounted if it is not (bpftrace's
#      raw_syscalls tracepoints need it).
#   2. npm ci: the npm dependencies (nothing downloads outside the npm registry).
#   3. The Jupyter kernel "deepstitch-ts": tslab started at the project root by
#      scripts/tslab-kernel.cjs, so a notebook can import lib/.
# Safe to run again: packages already installed are left alone, npm ci reinstalls the same
# locked versions, and the kernel spec is replaced.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

say() { printf '[setup] %s\n' "$*"; }
fail() { printf '[setup] ERROR: %s\n' "$*" >&2; exit 1; }

# Node >= 20.19: arquero 8 is ESM-only and tslab loads it through require().
node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=19)?0:1)' \
  || fail "Node $(node --version) is too old: the kit needs Node >= 20.19 (arquero 8 is loaded with require)."

APT_PACKAGES=(jupyter-core jupyter-client python3-nbclient jupyter-nbconvert chromium openjdk-17-jdk-headless redis-server bpftrace strace)
missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ]; then
    say "installing Debian packages: ${missing[*]}"
    apt-get update -qq || fail "apt-get update failed: check the machine reaches Debian's archive (/etc/apt/sources.list)"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null \
      || fail "apt-get install ${missing[*]} failed; run it by hand to see why: apt-get install ${missing[*]}"
  else
    fail "missing Debian packages: ${missing[*]}. Run as root, or first: sudo apt-get update && sudo apt-get install -y ${missing[*]}"
  fi
else
  say "Debian packages present: ${APT_PACKAGES[*]}"
fi
if [ "$(id -u)" -eq 0 ] && [ ! -d /sys/kernel/tracing/events ]; then
  mount -t tracefs nodev /sys/kernel/tracing 2>/dev/null && say "mounted tracefs on /sys/kernel/tracing" \
    || say "could not mount tracefs: npm run capture:real (--tracer auto) falls back to strace"
fi
command -v jupyter >/dev/null || fail "jupyter is not on PATH after installing jupyter-core (expected /usr/bin/jupyter)."

say "npm ci (optional @tensorflow/tfjs-node and -node-gpu fail to download libtensorflow here; npm skips them)"
npm ci --no-audit --no-fund --loglevel=error

# The kernel spec points at this checkout; registering again replaces it.
spec=$(mktemp -d)
trap 'rm -rf "$spec"' EXIT
mkdir -p "$spec/deepstitch-ts"
cat >"$spec/deepstitch-ts/kernel.json" <<JSON
{
  "argv": ["$(command -v node)", "$root/scripts/tslab-kernel.cjs", "{connection_file}"],
  "display_name": "TypeScript (Deepstitch Kit)",
  "language": "typescript"
}
JSON
scope=(--sys-prefix)
[ "$(id -u)" -eq 0 ] || scope=(--user)
jupyter kernelspec install --replace --name deepstitch-ts "${scope[@]}" "$spec/deepstitch-ts" >"$spec/log" 2>&1 \
  || { cat "$spec/log" >&2; fail "jupyter kernelspec install failed; try: jupyter kernelspec install --user --name deepstitch-ts $spec/deepstitch-ts"; }
jupyter kernelspec list 2>/dev/null | grep -q deepstitch-ts || fail "kernel deepstitch-ts not listed by 'jupyter kernelspec list'"
say "kernel deepstitch-ts registered: $(jupyter kernelspec list 2>/dev/null | grep deepstitch-ts | awk '{print $2}')"
say "TensorFlow.js backend: $(node --import tsx -e 'require("./lib/nn/backend").describeBackend().then(console.log)' 2>&1 | tail -1)"
say "done. Next: npm test"
