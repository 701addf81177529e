/**
 * WebGPU in Node through Dawn (the `webgpu` npm package).
 *
 * The system's Vulkan drivers are tried first; when they give no adapter (a machine
 * without a GPU), Chromium's SwiftShader Vulkan driver is used if it is installed.
 */
import { existsSync, readFileSync } from 'node:fs';
import { requestGpu, type GpuContext, GpuUnavailableError } from './device.ts';

const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

/**
 * What webgpu@0.6.2's linux-x64 dawn.node links against (`objdump -T`): glibc symbols up to
 * 2.34 and libstdc++ symbols up to GLIBCXX_3.4.30 (GCC 12). Ubuntu 22.04+ and Debian 12+
 * have both; Ubuntu 20.04 (glibc 2.31) and RHEL 9 (GCC 11's libstdc++) do not.
 */
export const DAWN_NEEDS = { glibc: '2.34', glibcxx: 'GLIBCXX_3.4.30' } as const;

/** What this machine offers of DAWN_NEEDS (null: could not tell). */
export interface DawnHost {
  /** glibc's version at run time, e.g. "2.36". */
  glibc: string | null;
  /** Whether the libstdc++ this process loaded defines DAWN_NEEDS.glibcxx. */
  glibcxx: boolean | null;
  /** The libstdc++ file it looked in. */
  libstdcxx: string | null;
}

/** Reads DawnHost from this process (its report header and the libstdc++ mapped into it). */
export function dawnHost(): DawnHost {
  let glibc: string | null = null;
  try {
    const header = (process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined)?.header;
    glibc = header?.glibcVersionRuntime ?? null;
  } catch {
    glibc = null;
  }
  let libstdcxx: string | null = null;
  let glibcxx: boolean | null = null;
  try {
    libstdcxx = readFileSync('/proc/self/maps', 'utf8').match(/\S*\/libstdc\+\+\.so[^\s]*/)?.[0] ?? null;
    if (libstdcxx) glibcxx = readFileSync(libstdcxx).includes(DAWN_NEEDS.glibcxx);
  } catch {
    glibcxx = null;
  }
  return { glibc, glibcxx, libstdcxx };
}

/** "2.31" < "2.34"; unknown or unreadable versions compare as not older. */
export function olderThan(version: string | null, needed: string): boolean {
  if (!version) return false;
  const a = version.split('.').map(Number);
  const b = needed.split('.').map(Number);
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const x = a[i] ?? 0;
    const y = b[i] ?? 0;
    if (Number.isNaN(x)) return false;
    if (x !== y) return x < y;
  }
  return false;
}

/**
 * Why the `webgpu` package could not be loaded, and what would help. `bundled`: running from
 * tools/gpu-bundle/ (an offline copy, where `npm install` cannot help). A dawn.node that the
 * system's C libraries cannot serve names what is missing: reinstalling the package would
 * bring the same file.
 */
export function dawnLoadMessage(error: string, host: DawnHost, bundled: boolean): string {
  const first = error.split('\n')[0];
  const glibcOld = olderThan(host.glibc, DAWN_NEEDS.glibc) || /GLIBC_\d[\d.]*'? not found/.test(error);
  const cxxOld = host.glibcxx === false || /GLIBCXX_\d[\d.]*'? not found/.test(error);
  if (glibcOld || cxxOld) {
    const missing = [
      glibcOld ? `glibc ${DAWN_NEEDS.glibc} or newer (this machine has ${host.glibc ?? 'an older one'})` : null,
      cxxOld ? `a libstdc++ with ${DAWN_NEEDS.glibcxx}, from GCC 12 or newer (${host.libstdcxx ?? 'the one loaded'} lacks it)` : null,
    ].filter((m) => m !== null);
    return (
      `Dawn for Node (webgpu@0.6.2's dawn.node) cannot run on this machine: it needs ${missing.join(' and ')}. ` +
      'Ubuntu 22.04+, Debian 12+ and Fedora 36+ have both; Ubuntu 20.04 and RHEL 9 do not (reinstalling the package will not help). ' +
      `The loader said: ${first}`
    );
  }
  const notFound = /Cannot find (package|module)|ERR_MODULE_NOT_FOUND/.test(error);
  if (bundled) {
    return (
      `the "webgpu" package (Dawn for Node) in the bundle could not be loaded: ${first}; ` +
      (notFound
        ? 'tools/gpu-bundle/node_modules/webgpu is incomplete: rebuild the bundle with tools/gpu-bundle.sh on a networked machine'
        : 'check that the bundle was unpacked as tools/gpu-bench.sh does it')
    );
  }
  return `the "webgpu" package (Dawn for Node) could not be loaded: ${first}; ${notFound ? 'run npm install' : 'run npm ci to reinstall it'}`;
}

/** Whether this code runs from the esbuild bundle (tools/gpu-bundle/char-lm.mjs) rather than the TypeScript sources. */
export const runsBundled = (url: string): boolean => !/\.[cm]?ts$/.test(url);

/** A device through Dawn, with those of `features` the adapter has (the bench asks for timestamp-query when it profiles). */
export async function requestNodeGpu(features: GPUFeatureName[] = []): Promise<GpuContext> {
  let webgpu: typeof import('webgpu');
  try {
    webgpu = await import('webgpu');
  } catch (e) {
    throw new GpuUnavailableError(dawnLoadMessage((e as Error).message, dawnHost(), runsBundled(import.meta.url)));
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
