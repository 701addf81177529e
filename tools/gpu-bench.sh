#!/usr/bin/env bash
# The real-GPU check of issue #9 (item 6): on a Linux x86-64 machine with an NVIDIA GPU and
# no network, runs `npm run bench`'s speed record through Dawn (the CLI's `bench --engine gpu`
# on the webgpu package's dawn.node) and prints the same figures as the browser bench:
# chars/s (median and spread), ms/step, first step, dispatches/step, GFLOP/s, GPU memory,
# the matmul kernel's throughput at the step's GEMM shapes, sampling chars/s, and with
# --profile per-kernel times from timestamp queries. Extra flags go to the bench
# (--profile, --record, --steps N).
#
# It uses only what the checkout carries: tools/gpu-bundle/, prepared on a networked
# machine by tools/gpu-bundle.sh (bundled CLI, dawn.node, a Node binary, the Vulkan loader
# .deb). It needs the NVIDIA driver's Vulkan part on the machine (libGLX_nvidia.so.0 and an
# ICD file; in a container, NVIDIA_DRIVER_CAPABILITIES must include graphics); it says so
# when that is missing. Nothing is installed system-wide: everything unpacks under a
# temporary directory.
set -euo pipefail
cd "$(dirname "$0")/.."
B=tools/gpu-bundle
[ -f "$B/char-lm.mjs" ] || { echo "gpu-bench: $B is missing: run tools/gpu-bundle.sh on a networked machine first and copy $B here" >&2; exit 1; }
[ "$(uname -m)" = x86_64 ] || { echo "gpu-bench: the bundle is for linux x86-64, this is $(uname -m)" >&2; exit 1; }
W=$(mktemp -d /tmp/char-lm-gpu.XXXXXX)
trap 'rm -rf "$W"' EXIT

# Node: the system's if it is 20 or newer, else the bundle's.
NODE=$(command -v node || true)
if [ -z "$NODE" ] || [ "$("$NODE" -p 'process.versions.node.split(".")[0]')" -lt 20 ]; then
  xz -dc "$B/node.xz" > "$W/node" && chmod +x "$W/node" && NODE="$W/node"
fi
echo "gpu-bench: node $("$NODE" --version) ($NODE)"

# The bundle's node_modules with dawn.node unpacked, beside a copy of the CLI (it finds
# `webgpu` in ./node_modules; BENCHMARKS.md and data/ are read relative to the checkout).
mkdir -p "$W/app/tools/gpu-bundle"
cp -r "$B/node_modules" "$W/app/tools/gpu-bundle/"
xz -d "$W/app/tools/gpu-bundle/node_modules/webgpu/dist/linux-x64/dawn.node.xz"
cp "$B/char-lm.mjs" "$W/app/tools/gpu-bundle/"

# The Vulkan loader: the system's libvulkan.so.1 if there is one, else the bundled .deb unpacked.
if ! ldconfig -p 2> /dev/null | grep -q 'libvulkan\.so\.1 '; then
  deb=$(ls "$B"/debs/libvulkan1_*.deb 2> /dev/null | head -1 || true)
  [ -n "$deb" ] || { echo "gpu-bench: no libvulkan.so.1 on this machine and no libvulkan1 .deb in $B/debs" >&2; exit 1; }
  dpkg-deb -x "$deb" "$W/vulkan"
  export LD_LIBRARY_PATH="$(dirname "$(find "$W/vulkan" -name 'libvulkan.so.1' | head -1)")${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  echo "gpu-bench: Vulkan loader from $(basename "$deb")"
fi

# The NVIDIA Vulkan driver: an ICD file if the driver installed one, else one written here
# for libGLX_nvidia.so.0 (where NVIDIA's Vulkan driver lives) when that library is present.
if [ -z "${VK_ICD_FILENAMES:-}" ] && ! ls /usr/share/vulkan/icd.d/nvidia_icd*.json /etc/vulkan/icd.d/nvidia_icd*.json > /dev/null 2>&1; then
  if ldconfig -p 2> /dev/null | grep -q 'libGLX_nvidia\.so\.0 '; then
    printf '{"file_format_version":"1.0.0","ICD":{"library_path":"libGLX_nvidia.so.0","api_version":"1.3.0"}}\n' > "$W/nvidia_icd.json"
    export VK_ICD_FILENAMES="$W/nvidia_icd.json"
    echo "gpu-bench: wrote an NVIDIA Vulkan ICD file for libGLX_nvidia.so.0"
  else
    echo "gpu-bench: no NVIDIA Vulkan driver here (no nvidia_icd.json, no libGLX_nvidia.so.0): Dawn needs Vulkan on Linux." >&2
    echo "gpu-bench: install the driver's Vulkan/GL part, or in a container set NVIDIA_DRIVER_CAPABILITIES=compute,utility,graphics" >&2
    command -v nvidia-smi > /dev/null && nvidia-smi -L >&2 || true
    exit 1
  fi
fi

# The CLI bundle sits at tools/gpu-bundle/ of a tree whose root has BENCHMARKS.md and data/.
ln -s "$PWD/data" "$W/app/data"
cp BENCHMARKS.md "$W/app/BENCHMARKS.md" 2> /dev/null || true
set +e
(cd "$W/app" && CHAR_LM_BENCH_COMMAND="tools/gpu-bench.sh $*" "$NODE" tools/gpu-bundle/char-lm.mjs bench --engine gpu "$@")
rc=$?
set -e
# --record writes the copy's BENCHMARKS.md: bring it back.
if [[ " $* " == *" --record "* ]] && [ $rc -eq 0 ]; then cp "$W/app/BENCHMARKS.md" BENCHMARKS.md && echo "gpu-bench: BENCHMARKS.md updated"; fi
exit $rc
