/**
 * WebGPU in Node through Dawn (the `webgpu` npm package).
 *
 * The system's Vulkan drivers are tried first; when they give no adapter (a machine
 * without a GPU), Chromium's SwiftShader Vulkan driver is used if it is installed.
 */
import { existsSync } from 'node:fs';
import { requestGpu, type GpuContext, GpuUnavailableError } from './device.ts';

const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

/** A device through Dawn, with those of `features` the adapter has (the bench asks for timestamp-query when it profiles). */
export async function requestNodeGpu(features: GPUFeatureName[] = []): Promise<GpuContext> {
  let webgpu: typeof import('webgpu');
  try {
    webgpu = await import('webgpu');
  } catch (e) {
    throw new GpuUnavailableError(`the "webgpu" package (Dawn for Node) could not be loaded: ${(e as Error).message}; run npm install`);
  }
  Object.assign(globalThis, webgpu.globals);
  const tryCreate = async (): Promise<GPUAdapter | null> => webgpu.create([]).requestAdapter({ powerPreference: 'high-performance' });
  let adapter = await tryCreate();
  if (!adapter && !process.env.VK_ICD_FILENAMES && existsSync(SWIFTSHADER_ICD)) {
    process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
    adapter = await tryCreate();
  }
  if (!adapter) {
    throw new GpuUnavailableError(
      'no WebGPU adapter was found by Dawn: install a Vulkan GPU driver, or Debian packages libvulkan1 and chromium ' +
        `(its SwiftShader driver ${SWIFTSHADER_ICD} serves as a software GPU)`,
    );
  }
  const gpu = { requestAdapter: async () => adapter } as unknown as GPU;
  return requestGpu(gpu, '', features);
}
