#!/usr/bin/env bash
# The real-GPU check of issue #9 (item 6): on a Linux x86-64 machine with an NVIDIA GPU and
# no network, from what the checkout carries (tools/gpu-bundle/, made by tools/gpu-bundle.sh
# on a networked machine: the bundled CLI, dawn.node, a Node binary, the Vulkan loader .deb),
# it runs, through Dawn on the GPU:
#   1. parity      whole training steps against the float64 CPU reference at the tests'
#                  tolerance (`bench --parity`); it stops here when they disagree, so that
#                  no figure of a wrong step is ever printed;
#   2. speed       `npm run bench`'s record (`bench --engine gpu`): chars/s (median and
#                  spread), ms/step, first step, dispatches/step, GFLOP/s, GPU memory, the
#                  matmul kernel's throughput at the step's GEMM shapes, sampling chars/s per
#                  row; with --profile per-kernel times from timestamp queries;
#   3. notebook    the notebook run, 1,000 steps (`bench --notebook-run`): the passage loss
#                  must stay < 0.3 nats/char;
#   4. PyTorch     the same training step on this machine's CPU (tools/torch-step-bench.py)
#                  when python3 has torch, with char-lm's ratio to it.
# Extra flags go to the speed bench (--profile, --record, --steps N). Everything it prints is
# also written to tools/gpu-bundle/last-run.log. Exit status: 0 when every stage ran and
# held, 1 when one failed (each says why), 2 when the machine cannot run the check at all.
#
# It needs the NVIDIA driver's Vulkan part (libGLX_nvidia.so.0 and an ICD file; in a
# container NVIDIA_DRIVER_CAPABILITIES must include graphics), glibc ≥ 2.34 and a libstdc++
# with GLIBCXX_3.4.30 (what dawn.node links against: Ubuntu 22.04+, Debian 12+; not Ubuntu
# 20.04 nor RHEL 9). It checks each before starting and says what is missing. Nothing is
# installed system-wide: everything unpacks under a temporary directory.
set -euo pipefail
cd "$(dirname "$0")/.."
B=tools/gpu-bundle
say() { echo "gpu-bench: $*"; }
fail() {
  echo "gpu-bench: $*" >&2
  exit 2
}

[ -f "$B/char-lm.mjs" ] || fail "$B is missing: run tools/gpu-bundle.sh on a networked machine first and copy $B here"
[ "$(uname -s)" = Linux ] && [ "$(uname -m)" = x86_64 ] || fail "the bundle is for Linux x86-64, this is $(uname -s) $(uname -m)"
W=$(mktemp -d /tmp/char-lm-gpu.XXXXXX)
trap 'rm -rf "$W"' EXIT
exec > >(tee "$B/last-run.log") 2>&1
say "$(date -u '+%Y-%m-%d %H:%M UTC'), bundle of commit $(cat "$B/commit" 2> /dev/null || echo '?'), $(nproc) CPUs"

# The dynamic linker's cache, read once into a file: `ldconfig -p | grep -q` under pipefail
# fails at random (grep exits at the first match, ldconfig dies of SIGPIPE).
LDCONFIG=$(command -v ldconfig || true)
[ -n "$LDCONFIG" ] || LDCONFIG=/sbin/ldconfig
"$LDCONFIG" -p > "$W/ld.cache" 2> /dev/null || : > "$W/ld.cache"
# The path of a 64-bit library in the cache, or nothing.
lib() { awk -v n="$1" '$1 == n && /x86-64/ { print $NF; exit }' "$W/ld.cache"; }

# --- What dawn.node links against (objdump -T): glibc ≥ 2.34 and GLIBCXX_3.4.30.
glibc=$(getconf GNU_LIBC_VERSION 2> /dev/null | awk '{ print $2 }' || true)
[ -n "$glibc" ] || glibc=$(ldd --version 2> /dev/null | awk 'NR == 1 { print $NF }' || true)
if [ -z "$glibc" ]; then
  fail "cannot tell this machine's glibc version (no getconf, no ldd): dawn.node needs glibc ≥ 2.34"
elif [ "$(printf '%s\n' 2.34 "$glibc" | sort -V | head -1)" != 2.34 ]; then
  fail "dawn.node (Dawn for Node) needs glibc ≥ 2.34; this machine has glibc $glibc (Ubuntu 20.04 has 2.31): use Ubuntu 22.04+, Debian 12+ or a container of one"
fi
cxx=$(lib libstdc++.so.6)
[ -n "$cxx" ] || fail "no libstdc++.so.6 in the linker's cache ($LDCONFIG -p): dawn.node needs one with GLIBCXX_3.4.30 (GCC 12 or newer)"
grep -qa 'GLIBCXX_3\.4\.30' "$(readlink -f "$cxx")" ||
  fail "dawn.node needs a libstdc++ with GLIBCXX_3.4.30 (GCC 12 or newer); $cxx lacks it (RHEL 9 ships GCC 11's): use Ubuntu 22.04+, Debian 12+ or a container of one"
say "glibc $glibc, $cxx has GLIBCXX_3.4.30"

# --- Node: the system's if it is 20 or newer, else the bundle's.
NODE=$(command -v node || true)
if [ -z "$NODE" ] || [ "$("$NODE" -p 'process.versions.node.split(".")[0]' 2> /dev/null || echo 0)" -lt 20 ]; then
  xz -dc "$B/node.xz" > "$W/node" && chmod +x "$W/node" && NODE="$W/node"
fi
say "node $("$NODE" --version) ($NODE)"

# --- The bundle's node_modules with dawn.node unpacked, beside a copy of the CLI (it finds
# `webgpu` beside itself; BENCHMARKS.md and data/ are read relative to the checkout).
mkdir -p "$W/app/tools/gpu-bundle"
cp -r "$B/node_modules" "$W/app/tools/gpu-bundle/"
xz -d "$W/app/tools/gpu-bundle/node_modules/webgpu/dist/linux-x64/dawn.node.xz"
cp "$B/char-lm.mjs" "$W/app/tools/gpu-bundle/"
ln -s "$PWD/data" "$W/app/data"
cp BENCHMARKS.md "$W/app/BENCHMARKS.md" 2> /dev/null || true

# --- The Vulkan loader: the system's libvulkan.so.1 if there is one, else the bundled .deb unpacked.
if [ -n "$(lib libvulkan.so.1)" ]; then
  say "Vulkan loader $(lib libvulkan.so.1)"
else
  deb=$(ls "$B"/debs/libvulkan1_*.deb 2> /dev/null | head -1 || true)
  [ -n "$deb" ] || fail "no libvulkan.so.1 on this machine and no libvulkan1 .deb in $B/debs"
  command -v dpkg-deb > /dev/null || fail "no libvulkan.so.1 on this machine, and no dpkg-deb to unpack $deb: install the distribution's Vulkan loader (libvulkan1 / vulkan-loader)"
  dpkg-deb -x "$deb" "$W/vulkan"
  export LD_LIBRARY_PATH="$(dirname "$(find "$W/vulkan" -name 'libvulkan.so.1' | head -1)")${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  say "Vulkan loader from $(basename "$deb")"
fi

# --- The NVIDIA Vulkan driver: the ICD file the driver installed (each folder looked at on
# its own: a normal install has only one of them), else one written here for
# libGLX_nvidia.so.0 (where NVIDIA's Vulkan driver lives) when that library is present.
# (CHAR_LM_VULKAN_ICD_DIRS replaces the two folders: src/cli/gpu-bench-script.test.ts uses it.)
icd=""
for d in ${CHAR_LM_VULKAN_ICD_DIRS:-/usr/share/vulkan/icd.d /etc/vulkan/icd.d}; do
  for f in "$d"/nvidia_icd*.json; do
    if [ -f "$f" ]; then
      icd=$f
      break 2
    fi
  done
done
if [ -n "${VK_ICD_FILENAMES:-}" ]; then
  say "Vulkan ICD from VK_ICD_FILENAMES=$VK_ICD_FILENAMES"
elif [ -n "$icd" ]; then
  say "NVIDIA Vulkan ICD $icd (the driver's)"
elif [ -n "$(lib libGLX_nvidia.so.0)" ]; then
  printf '{"file_format_version":"1.0.0","ICD":{"library_path":"libGLX_nvidia.so.0","api_version":"1.3.0"}}\n' > "$W/nvidia_icd.json"
  export VK_ICD_FILENAMES="$W/nvidia_icd.json"
  say "no ICD file from the driver: wrote one for $(lib libGLX_nvidia.so.0)"
else
  echo "gpu-bench: no NVIDIA Vulkan driver here (no nvidia_icd*.json in ${CHAR_LM_VULKAN_ICD_DIRS:-/usr/share/vulkan/icd.d or /etc/vulkan/icd.d}, no libGLX_nvidia.so.0): Dawn needs Vulkan on Linux." >&2
  echo "gpu-bench: install the driver's Vulkan/GL part, or in a container set NVIDIA_DRIVER_CAPABILITIES=compute,utility,graphics" >&2
  if command -v nvidia-smi > /dev/null; then nvidia-smi -L >&2 || true; else echo "gpu-bench: (no nvidia-smi either: is there an NVIDIA GPU and driver at all?)" >&2; fi
  exit 2
fi
command -v nvidia-smi > /dev/null && nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2> /dev/null | sed 's/^/gpu-bench: GPU /' || true

# The command --record writes into the record: this script's, not the bundled CLI's.
export CHAR_LM_BENCH_COMMAND="tools/gpu-bench.sh${*:+ $*}"
cli() { (cd "$W/app" && "$NODE" tools/gpu-bundle/char-lm.mjs "$@"); }
failed=()

say "1/4 parity: whole training steps on the GPU against the float64 CPU reference"
if ! cli bench --engine gpu --parity; then
  echo "gpu-bench: STOPPED: the GPU's training steps disagree with the float64 reference (above) or Dawn failed; no speed figures from a wrong step" >&2
  exit 1
fi

say "2/4 speed: the bench's record through Dawn${*:+ ($*)}"
set +e
cli bench --engine gpu "$@" | tee "$W/speed.txt"
rc=${PIPESTATUS[0]}
set -e
if [ "$rc" -ne 0 ]; then
  failed+=("speed (exit $rc)")
elif [[ " $* " == *" --record "* ]]; then
  # --record wrote the copy's BENCHMARKS.md (this adapter's record only): bring it back.
  cp "$W/app/BENCHMARKS.md" BENCHMARKS.md && say "BENCHMARKS.md updated (this adapter's record)"
fi

say "3/4 notebook run: 1,000 steps on the GPU, the passage loss must stay < 0.3 nats/char"
cli bench --engine gpu --notebook-run || failed+=("notebook run")

say "4/4 PyTorch on this machine's CPU: the same training step"
# char-lm's medians from the speed stage ("small    E… — …" then "  train    1,234 chars/s median").
versus=$(awk '/^[a-z]+ +E[0-9]+ H/ { name = $1 } /^  train / && name { gsub(",", "", $2); printf "%s%s=%s", sep, name, $2; sep = ","; name = "" }' "$W/speed.txt" 2> /dev/null || true)
PY=${CHAR_LM_PYTHON-$(command -v python3 || true)} # (CHAR_LM_PYTHON: another interpreter, or "" for none)
if [ -z "$PY" ]; then
  say "no python3 here: PyTorch not timed (run tools/torch-step-bench.py where python3 and torch are installed)"
elif ! "$PY" -c 'import torch' 2> /dev/null; then
  say "python3 ($PY) has no torch: PyTorch not timed (pip install torch, then: python3 tools/torch-step-bench.py --configs notebook,small,medium,large)"
else
  "$PY" tools/torch-step-bench.py --configs notebook,small,medium,large --versus "$versus" || failed+=("PyTorch")
fi

if [ ${#failed[@]} -gt 0 ]; then
  echo "gpu-bench: done, with failures: ${failed[*]} (log: $B/last-run.log)" >&2
  exit 1
fi
say "done: parity held, figures above (log: $B/last-run.log)"
