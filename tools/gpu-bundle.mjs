// Builds the CLI into one ES module for tools/gpu-bench.sh (run by tools/gpu-bundle.sh):
// src/cli/main.ts with every import bundled and the WGSL sources inlined (Vite's `?raw`),
// `webgpu` (Dawn) left outside, loaded from the bundle's node_modules. A `?url` import
// (the larger shipped texts) stays a file: URL, as src/cli/wgsl-hooks.mjs gives it, relative
// to the bundle: the texts are not inlined.
import { build } from 'esbuild';
import { readFile } from 'node:fs/promises';
import { dirname, relative, resolve } from 'node:path';

const [out] = process.argv.slice(2);
if (!out) throw new Error('usage: node tools/gpu-bundle.mjs OUT.mjs');
await build({
  entryPoints: ['src/cli/main.ts'],
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  outfile: out,
  external: ['webgpu'],
  logLevel: 'warning',
  banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
  plugins: [
    {
      name: 'wgsl-raw',
      setup(b) {
        b.onResolve({ filter: /\?raw$/ }, (a) => ({ path: resolve(a.resolveDir, a.path.slice(0, -4)), namespace: 'raw' }));
        b.onLoad({ filter: /.*/, namespace: 'raw' }, async (a) => ({ contents: await readFile(a.path, 'utf8'), loader: 'text' }));
        b.onResolve({ filter: /\?url(&no-inline)?$/ }, (a) => ({ path: resolve(a.resolveDir, a.path.replace(/\?url(&no-inline)?$/, '')), namespace: 'url' }));
        // Relative to the bundle, as the checkout is laid out wherever the bundle is copied beside it.
        const from = dirname(resolve(out));
        b.onLoad({ filter: /.*/, namespace: 'url' }, (a) => ({
          contents: `export default new URL(${JSON.stringify(relative(from, a.path))}, import.meta.url).href;`,
          loader: 'js',
        }));
      },
    },
  ],
});
