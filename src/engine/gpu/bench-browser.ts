/**
 * The WebGPU engine's benchmark inside a browser page (loaded by src/cli/bench-browser.ts
 * through Vite's dev server and driven by Playwright). Progress goes to the console,
 * which the driver prints.
 */
import { requestGpu } from '../../gpu/device.ts';
import { runGpuBench, type GpuBenchCase, type GpuBenchOptions, type GpuBenchReport } from './bench-gpu.ts';

export async function runBrowserBench(cases: GpuBenchCase[], options: GpuBenchOptions): Promise<GpuBenchReport> {
  // timestamp-query is asked for only when profiling: a device with it may time differently.
  const gpu = await requestGpu(navigator.gpu, 'start Chromium with --enable-unsafe-webgpu', options.profile ? ['timestamp-query'] : []);
  try {
    return await runGpuBench(gpu, cases, options, (s) => console.log(`bench: ${s}`));
  } finally {
    gpu.device.destroy();
  }
}
