/**
 * Choosing the engine: the WebGPU engine on Dawn, or the float64 CPU reference.
 *
 * Dawn for Node crashes under load with software Vulkan drivers (SwiftShader,
 * lavapipe/llvmpipe): a data race between the driver's threads and Node's polling.
 * On real GPUs it is fine. So `auto` takes the GPU only when Dawn offers a hardware
 * adapter, and otherwise runs on the CPU and says why (one line on stderr);
 * `gpu` forces Dawn whatever the adapter; `cpu` never loads Dawn.
 */
import { GpuUnavailableError, isSoftwareAdapter, type AdapterDescription, type GpuContext } from '../gpu/device.ts';
import type { Engine, EngineChoice } from '../engine/contract.ts';
import { cpuEngine } from '../engine/cpu.ts';
import { dawnHost, dawnLoadMessage, runsBundled } from '../gpu/node.ts';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

/** What the child process saw: an adapter, none, or a `webgpu` package that would not load (its error). */
type Probe = { adapter: Pick<AdapterDescription, 'vendor' | 'architecture' | 'description'> | null } | { loadError: string };

/**
 * Asks Dawn for an adapter in a child process and describes it. Loading Dawn in this
 * process would start driver threads that can crash it later even when the CPU engine is
 * chosen, so `auto` looks first from a distance. The child imports `webgpu` by the path
 * this module resolves (from the sources: the checkout's node_modules; from the bundle,
 * tools/gpu-bundle/node_modules), never from its working directory. The child's stderr
 * (Dawn's warnings) is dropped.
 */
function probeAdapterInChild(): Probe {
  let webgpu: string;
  try {
    webgpu = pathToFileURL(createRequire(import.meta.url).resolve('webgpu')).href;
  } catch (e) {
    return { loadError: (e as Error).message };
  }
  const script = `
    import { existsSync } from 'node:fs';
    let m;
    try { m = await import(${JSON.stringify(webgpu)}); }
    catch (e) { process.stdout.write(JSON.stringify({ loadError: String(e && e.message) })); process.exit(0); }
    const { create, globals } = m;
    Object.assign(globalThis, globals);
    const icd = '/usr/lib/chromium/vk_swiftshader_icd.json';
    let a = await create([]).requestAdapter();
    if (!a && !process.env.VK_ICD_FILENAMES && existsSync(icd)) { process.env.VK_ICD_FILENAMES = icd; a = await create([]).requestAdapter(); }
    process.stdout.write(JSON.stringify({ adapter: a ? { vendor: a.info.vendor, architecture: a.info.architecture, description: a.info.description } : null }));
    process.exit(0);`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    encoding: 'utf8',
    timeout: 30_000,
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  try {
    return r.status === 0 ? (JSON.parse(r.stdout) as Probe) : { adapter: null };
  } catch {
    return { adapter: null };
  }
}

/** The engine a command runs on, and what the command says about it. */
export interface OpenedEngine {
  engine: Engine;
  kind: Engine['kind'];
  /** The first output line of every command, e.g. "engine: WebGPU (Dawn) on nvidia ampere (...)". */
  line: string;
  /** Why auto did not take the GPU (printed once on stderr), or null. */
  note: string | null;
  /** The device, on the GPU engine (the bench times its kernels directly). */
  gpu?: GpuContext;
  /** Releases the device (GPU). */
  close(): void;
}

/** A short name for a software adapter: "SwiftShader", "llvmpipe", ... */
export function softwareName(a: Pick<AdapterDescription, 'vendor' | 'architecture' | 'description'>): string {
  const m = `${a.description} ${a.vendor} ${a.architecture}`.match(/swiftshader|llvmpipe|lavapipe/i);
  if (!m) return 'a software rasteriser';
  const name = m[0].toLowerCase();
  return name === 'swiftshader' ? 'SwiftShader' : name;
}

export const CPU_LINE = 'engine: CPU reference (float64)';

function onCpu(note: string | null = null): OpenedEngine {
  const engine = cpuEngine();
  return { engine, kind: 'cpu', line: CPU_LINE, note, close: () => engine.close() };
}

async function onGpu(gpu: GpuContext): Promise<OpenedEngine> {
  const { gpuEngine } = await import('../engine/gpu/engine.ts');
  const soft = isSoftwareAdapter(gpu.adapter);
  const engine = gpuEngine(gpu, `WebGPU (Dawn) on ${gpu.adapter.summary}`, true);
  return {
    engine,
    kind: 'gpu',
    line: `engine: ${engine.description}${soft ? ' — a software adapter: slow, and Dawn may crash on it under load' : ''}`,
    note: null,
    gpu,
    close: () => engine.close(),
  };
}

/**
 * The engine for a --engine choice. `probe` acquires a device through Dawn (injected
 * in tests); it is never called for `cpu`. `features`: optional WebGPU features to ask
 * Dawn's device for where the adapter has them.
 */
export async function openEngine(choice: EngineChoice, probe?: () => Promise<GpuContext>, features: GPUFeatureName[] = []): Promise<OpenedEngine> {
  if (choice === 'cpu') return onCpu();
  const request = probe ?? (async () => (await import('../gpu/node.ts')).requestNodeGpu(features));
  if (choice === 'gpu') return onGpu(await request());
  if (!probe) {
    const probed = probeAdapterInChild();
    if ('loadError' in probed) return onCpu(`engine: CPU reference (${dawnLoadMessage(probed.loadError, dawnHost(), runsBundled(import.meta.url))})`);
    const seen = probed.adapter;
    if (!seen) return onCpu('engine: CPU reference (Dawn found no WebGPU adapter)');
    if (isSoftwareAdapter(seen)) {
      return onCpu(`engine: CPU reference (Dawn found only a software adapter, ${softwareName(seen)}, on which it is unstable; use --engine gpu to force it)`);
    }
  }
  let gpu: GpuContext;
  try {
    gpu = await request();
  } catch (e) {
    if (!(e instanceof GpuUnavailableError)) throw e;
    const why = e.message.replace(/^no WebGPU adapter was found by Dawn.*/, 'Dawn found no WebGPU adapter');
    return onCpu(`engine: CPU reference (${why})`);
  }
  if (isSoftwareAdapter(gpu.adapter)) {
    gpu.device.destroy();
    return onCpu(
      `engine: CPU reference (Dawn found only a software adapter, ${softwareName(gpu.adapter)}, on which it is unstable; use --engine gpu to force it)`,
    );
  }
  return onGpu(gpu);
}
