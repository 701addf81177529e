import { readFile } from 'node:fs/promises';

// `x.wgsl?raw` / `x.txt?raw`: the file's text as the default export, as Vite gives it.
// `x.txt?url&no-inline`: the file's own file: URL (the CLI reads such files from disk).
const RAW = '?raw';
const URL_QUERY = /\?url(&no-inline)?$/;

export async function resolve(specifier, context, nextResolve) {
  if (specifier.endsWith(RAW)) {
    const url = new URL(specifier.slice(0, -RAW.length), context.parentURL);
    return { url: `${url.href}${RAW}`, format: 'module', shortCircuit: true };
  }
  const m = specifier.match(URL_QUERY);
  if (m) {
    const url = new URL(specifier.slice(0, -m[0].length), context.parentURL);
    return { url: `${url.href}?url`, format: 'module', shortCircuit: true };
  }
  return nextResolve(specifier, context);
}

export async function load(url, context, nextLoad) {
  if (url.endsWith(RAW)) {
    const text = await readFile(new URL(url.slice(0, -RAW.length)), 'utf8');
    return { format: 'module', source: `export default ${JSON.stringify(text)};`, shortCircuit: true };
  }
  if (url.endsWith('?url')) {
    return { format: 'module', source: `export default ${JSON.stringify(url.slice(0, -4))};`, shortCircuit: true };
  }
  return nextLoad(url, context);
}
