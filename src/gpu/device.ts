/**
 * Acquiring a WebGPU device, in the browser or in Node, with errors a user can act on.
 */

export class GpuUnavailableError extends Error {
  override name = 'GpuUnavailableError';
}

export interface AdapterDescription {
  vendor: string;
  architecture: string;
  description: string;
  /** One line for logs and the page, e.g. "google swiftshader (SwiftShader driver 5.0.0)". */
  summary: string;
}

export interface GpuContext {
  device: GPUDevice;
  adapter: AdapterDescription;
}

const SOFTWARE = /swiftshader|llvmpipe|lavapipe|software/i;

/** True for a software rasteriser posing as a GPU (SwiftShader, llvmpipe/lavapipe). */
export function isSoftwareAdapter(a: Pick<AdapterDescription, 'vendor' | 'architecture' | 'description'>): boolean {
  return SOFTWARE.test(a.vendor) || SOFTWARE.test(a.architecture) || SOFTWARE.test(a.description);
}

function describeAdapter(adapter: GPUAdapter): AdapterDescription {
  const info = adapter.info;
  const vendor = info?.vendor || 'unknown vendor';
  const architecture = info?.architecture || '';
  const description = info?.description || '';
  const summary = [vendor, architecture].filter(Boolean).join(' ') + (description ? ` (${description})` : '');
  return { vendor, architecture, description, summary };
}

/**
 * Requests an adapter and a device with the storage limits the kernels need, and those of
 * `features` the adapter has (the bench asks for timestamp-query when it profiles).
 * Uncaptured validation errors are logged with their message, never swallowed.
 */
export async function requestGpu(gpu: GPU | undefined, hint = '', features: GPUFeatureName[] = []): Promise<GpuContext> {
  if (!gpu) throw new GpuUnavailableError(`WebGPU is not available${hint ? `: ${hint}` : ''}`);
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) throw new GpuUnavailableError(`no WebGPU adapter was found${hint ? `: ${hint}` : ''}`);
  const want = (name: keyof GPUSupportedLimits) => adapter.limits[name] as number;
  const device = await adapter.requestDevice({
    label: 'char-lm',
    requiredFeatures: features.filter((f) => adapter.features.has(f)),
    requiredLimits: {
      maxStorageBufferBindingSize: want('maxStorageBufferBindingSize'),
      maxBufferSize: want('maxBufferSize'),
      maxStorageBuffersPerShaderStage: Math.min(8, want('maxStorageBuffersPerShaderStage')),
      maxComputeWorkgroupStorageSize: want('maxComputeWorkgroupStorageSize'),
      // The persistent recurrent kernels size their workgroups from these.
      maxComputeInvocationsPerWorkgroup: want('maxComputeInvocationsPerWorkgroup'),
      maxComputeWorkgroupSizeX: want('maxComputeWorkgroupSizeX'),
    },
  });
  device.addEventListener('uncapturederror', (ev) => {
    console.error(`WebGPU error: ${(ev as GPUUncapturedErrorEvent).error.message}`);
  });
  return { device, adapter: describeAdapter(adapter) };
}
