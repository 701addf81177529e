// The page: <char-lm-demo> on the default corpus (the notebook passage). The test pages in
// e2e/ load it too. The address's options (src/page-options.ts) are applied to the elements
// before the library defines <char-lm-demo>: a dynamic import, so that no bundling can order
// the library's chunk before them.
import './page-options.ts';

await import('./ui/index.ts');
