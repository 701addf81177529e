// The page: <char-lm-demo> on the default corpus (the notebook passage). The test pages in
// e2e/ load it too, for the address's options (src/page-options.ts, evaluated first).
import './page-options.ts';
import './ui/index.ts';
