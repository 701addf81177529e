/** The embeddable library: importing this module defines <char-lm-demo> and its parts. */
export { CharLmDemo } from './char-lm-demo.ts';
export type { CharLmErrorDetail, CharLmReadyDetail, CharLmSampleDetail } from './events.ts';
export { SETTINGS_PRESETS } from '../run/settings.ts';
export { CharLmTextSource } from './text-source.ts';
export { CharLmSettings } from './settings-panel.ts';
export { CharLmTraining } from './training-panel.ts';
export { CharLmSampler } from './sampler.ts';
export { CharLmInspector } from './inspector.ts';
export { CharLmLossChart } from './loss-chart.ts';
export { CharLmProgress } from './progress-line.ts';
export { CharLmEngineLine } from './engine-line.ts';
export { CharLmCompareRuns } from './compare-runs.ts';
export { CharLmBars } from './bar-chart.ts';
export { CharLmHeatmap } from './heatmap.ts';
export { CharLmNextChar } from './next-char.ts';
export { CharLmCellExplorer } from './cell-explorer.ts';
export { GpuRegistry, gpuRegistry } from './gpu-registry.ts';
