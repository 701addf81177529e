// Fails when custom-elements.json (the element's public API for editors and docs tools) is not
// what `npm run manifest` would write from src/ui today: it is regenerated into a scratch folder
// and compared, leaving the committed file and package.json as they are.
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';

const scratch = '.manifest-check';
try {
  execFileSync(
    process.execPath,
    [
      'node_modules/@custom-elements-manifest/analyzer/cem.js',
      'analyze',
      '--globs',
      'src/ui/*.ts',
      '--litelement',
      '--outdir',
      scratch,
      '--config',
      'tools/cem-check.config.mjs',
    ],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
  if (readFileSync(`${scratch}/custom-elements.json`, 'utf8') !== readFileSync('custom-elements.json', 'utf8')) {
    console.error('custom-elements.json is out of date with src/ui: run `npm run manifest` and commit it');
    process.exitCode = 1;
  }
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
