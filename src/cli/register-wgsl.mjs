// Node has no Vite: this loader hook lets the CLI import shaders the way the
// page does (`import src from '../../shaders/x.wgsl?raw'`), as a string module.
import { register } from 'node:module';

register('./wgsl-hooks.mjs', import.meta.url);
