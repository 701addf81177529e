#!/usr/bin/env bash
# Prepares tools/gpu-bundle/ on a networked Linux x86-64 machine (after `npm ci`), so that
# tools/gpu-bench.sh can run the bench through Dawn on a machine with an NVIDIA GPU and no
# network. What it holds (about 29 MiB; the limit for carrying it is 64 MiB):
#   char-lm.mjs                     the CLI bundled into one ES module (esbuild; WGSL inlined)
#   node_modules/webgpu/            the webgpu@0.6.2 package with only linux-x64 dawn.node (xz)
#   node.xz                         this machine's Node binary (Node 20+, xz-compressed)
#   debs/libvulkan1_*.deb           the Vulkan loader (Debian/Ubuntu package; dawn.node dlopens libvulkan.so.1)
# tools/gpu-bundle/ is ignored by git: copy it beside the checkout (or name it in a
# device run's `carry`), then run tools/gpu-bench.sh there (it also runs
# tools/torch-step-bench.py from the checkout when the GPU machine's python3 has torch).
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=tools/gpu-bundle
rm -rf "$OUT"
mkdir -p "$OUT/node_modules" "$OUT/debs"

echo "gpu-bundle: bundling the CLI"
node tools/gpu-bundle.mjs "$OUT/char-lm.mjs"

echo "gpu-bundle: webgpu (Dawn for Node), linux-x64 only"
W=node_modules/webgpu
[ -f "$W/dist/linux-x64/dawn.node" ] || { echo "gpu-bundle: $W/dist/linux-x64/dawn.node is missing: run npm ci first" >&2; exit 1; }
mkdir -p "$OUT/node_modules/webgpu/dist/linux-x64"
cp "$W/package.json" "$W/index.js" "$OUT/node_modules/webgpu/"
xz -T0 -6 -c "$W/dist/linux-x64/dawn.node" > "$OUT/node_modules/webgpu/dist/linux-x64/dawn.node.xz"

echo "gpu-bundle: Node $(node --version) ($(command -v node))"
xz -T0 -6 -c "$(readlink -f "$(command -v node)")" > "$OUT/node.xz"
node --version > "$OUT/node.version"

echo "gpu-bundle: the Vulkan loader (libvulkan1) as a .deb"
if command -v apt-get > /dev/null; then
  (cd "$OUT/debs" && apt-get download libvulkan1) || echo "gpu-bundle: apt-get download libvulkan1 failed; put a libvulkan1 .deb for the target's distribution in $OUT/debs by hand" >&2
else
  echo "gpu-bundle: no apt-get here; put a libvulkan1 .deb for the target's distribution in $OUT/debs by hand" >&2
fi

git rev-parse HEAD > "$OUT/commit" 2> /dev/null || true
du -sh "$OUT"
size=$(du -sm "$OUT" | cut -f1)
[ "$size" -lt 64 ] || { echo "gpu-bundle: $OUT is ${size} MiB, over the 64 MiB a device run can carry" >&2; exit 1; }
echo "gpu-bundle: ready in $OUT (ignored by git). On the GPU machine: tools/gpu-bench.sh [--profile]"
