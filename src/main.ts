// The page: <char-lm-demo> on the default corpus (the notebook passage).
import './ui/index.ts';
