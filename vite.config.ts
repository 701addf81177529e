import { defineConfig } from 'vite';
import { resolve } from 'node:path';

// Two builds from one config: the page (`vite build`) and, with
// `--mode lib`, the embeddable <char-lm-demo> as one ES module.
export default defineConfig(({ mode }) => ({
  base: './',
  server: { host: '127.0.0.1', port: 5173 },
  preview: { host: '127.0.0.1', port: 4173 },
  build:
    mode === 'lib'
      ? {
          outDir: 'dist/lib',
          lib: { entry: resolve(import.meta.dirname, 'src/ui/index.ts'), formats: ['es'], fileName: () => 'char-lm.js' },
          // What a page author copies (README, Embedding): char-lm.js is the whole element (the
          // notebook passage and the Workers inside it, no chunks to fetch); the large texts and the
          // shipped model sit beside it under their own names, fetched relative to the module's URL.
          rolldownOptions: { output: { codeSplitting: false, assetFileNames: '[name][extname]' } },
        }
      : {
          outDir: 'dist/page',
          target: 'es2022',
          chunkSizeWarningLimit: 1500,
          // The page, and test pages: two embedded elements (/e2e/embed.html), one changed by a script
          // (/e2e/attributes.html), the notebook model on the CPU engine (/e2e/cpu-engine.html), and
          // trained models from model-url (/e2e/model-url.html).
          rolldownOptions: {
            input: {
              main: resolve(import.meta.dirname, 'index.html'),
              embed: resolve(import.meta.dirname, 'e2e/embed.html'),
              attributes: resolve(import.meta.dirname, 'e2e/attributes.html'),
              cpu: resolve(import.meta.dirname, 'e2e/cpu-engine.html'),
              modelUrl: resolve(import.meta.dirname, 'e2e/model-url.html'),
            },
          },
        },
}));
