/** The embeddable library: importing this module defines <char-lm-demo> and its parts. */
export { CharLmDemo } from './char-lm-demo.ts';
export { SETTINGS_PRESETS } from '../run/settings.ts';
export { CharLmLossChart } from './loss-chart.ts';
export { CharLmBars } from './bar-chart.ts';
export { CharLmHeatmap } from './heatmap.ts';
export { GpuRegistry, gpuRegistry } from './gpu-registry.ts';
