/**
 * Choosing the engine: the WebGPU engine on Dawn, or the float64 CPU reference.
 *
 * Dawn for Node crashes under load with software Vulkan drivers (SwiftShader,
 * lavapipe/llvmpipe): a data race between the driver's threads and Node's polling.
 * On real GPUs it is fine. So `auto` takes the GPU only when Dawn offers a hardware
 * adapter, and otherwise runs on the CPU and says why (one line on stderr);
 * `gpu` forces Dawn whatever the adapter; `cpu` never loads Dawn.
 */
import type { AdapterDescription, GpuContext } from '../gpu/device.ts';
import { GpuUnavailableError } from '../gpu/device.ts';
import type { TrainConfig } from '../model/config.ts';
import type { ParamTable } from '../model/params.ts';
import type { ModelEngine, TrainEngine, TrainerInit } from '../train/engine.ts';
import { CpuModel, CpuTrainer } from '../train/cpu-engine.ts';
import type { EngineChoice } from './args.ts';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/**
 * Asks Dawn for an adapter in a child process and describes it (null: none). Loading
 * Dawn in this process would start driver threads that can crash it later even when
 * the CPU engine is chosen, so `auto` looks first from a distance. The child's stderr
 * (Dawn's warnings) is dropped.
 */
export function probeAdapterInChild(): Pick<AdapterDescription, 'vendor' | 'architecture' | 'description'> | null {
  const script = `
    import { existsSync } from 'node:fs';
    const { create, globals } = await import('webgpu');
    Object.assign(globalThis, globals);
    const icd = '/usr/lib/chromium/vk_swiftshader_icd.json';
    let a = await create([]).requestAdapter();
    if (!a && !process.env.VK_ICD_FILENAMES && existsSync(icd)) { process.env.VK_ICD_FILENAMES = icd; a = await create([]).requestAdapter(); }
    process.stdout.write(JSON.stringify(a ? { vendor: a.info.vendor, architecture: a.info.architecture, description: a.info.description } : null));
    process.exit(0);`;
  const root = fileURLToPath(new URL('../..', import.meta.url));
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: root, encoding: 'utf8', timeout: 30_000, stdio: ['ignore', 'pipe', 'ignore'] });
  try {
    return r.status === 0 ? JSON.parse(r.stdout) : null;
  } catch {
    return null;
  }
}

export interface Engine {
  kind: 'cpu' | 'gpu';
  /** The first output line of every command, e.g. "engine: WebGPU (Dawn) on nvidia ampere (...)". */
  line: string;
  /** Why auto did not take the GPU (printed once on stderr), or null. */
  note: string | null;
  /** The adapter in use (GPU only). */
  adapter: AdapterDescription | null;
  model(table: ParamTable, params: Float32Array): ModelEngine;
  trainer(table: ParamTable, config: TrainConfig, data: Int32Array, init: TrainerInit): Promise<TrainEngine>;
  /** Releases the device (GPU). */
  close(): void;
}

const SOFTWARE = /swiftshader|llvmpipe|lavapipe|software/i;

/** True for a software rasteriser posing as a GPU (SwiftShader, llvmpipe/lavapipe). */
export function isSoftwareAdapter(a: Pick<AdapterDescription, 'vendor' | 'architecture' | 'description'>): boolean {
  return SOFTWARE.test(a.vendor) || SOFTWARE.test(a.architecture) || SOFTWARE.test(a.description);
}

/** A short name for a software adapter: "SwiftShader", "llvmpipe", ... */
export function softwareName(a: Pick<AdapterDescription, 'vendor' | 'architecture' | 'description'>): string {
  const m = `${a.description} ${a.vendor} ${a.architecture}`.match(/swiftshader|llvmpipe|lavapipe/i);
  if (!m) return 'a software rasteriser';
  const name = m[0].toLowerCase();
  return name === 'swiftshader' ? 'SwiftShader' : name;
}

export const CPU_LINE = 'engine: CPU reference (float64)';

export function cpuEngine(note: string | null = null): Engine {
  return {
    kind: 'cpu',
    line: CPU_LINE,
    note,
    adapter: null,
    model: (table, params) => new CpuModel(table, params),
    trainer: async (table, config, data, init) => new CpuTrainer(table, config, data, init),
    close: () => {},
  };
}

export async function gpuEngine(gpu: GpuContext): Promise<Engine> {
  const { GpuModel } = await import('../train/gpu-model.ts');
  const { GpuTrainer } = await import('../train/trainer.ts');
  const soft = isSoftwareAdapter(gpu.adapter);
  return {
    kind: 'gpu',
    line: `engine: WebGPU (Dawn) on ${gpu.adapter.summary}${soft ? ' — a software adapter: slow, and Dawn may crash on it under load' : ''}`,
    note: null,
    adapter: gpu.adapter,
    model: (table, params) => new GpuModel(gpu, table, params),
    trainer: (table, config, data, init) => GpuTrainer.create(gpu, table, config, data, init),
    close: () => gpu.device.destroy(),
  };
}

/**
 * The engine for a --engine choice. `probe` acquires a device through Dawn (injected
 * in tests); it is never called for `cpu`.
 */
export async function openEngine(choice: EngineChoice, probe?: () => Promise<GpuContext>): Promise<Engine> {
  if (choice === 'cpu') return cpuEngine();
  const request = probe ?? (async () => (await import('../gpu/node.ts')).requestNodeGpu());
  if (choice === 'gpu') return gpuEngine(await request());
  if (!probe) {
    const seen = probeAdapterInChild();
    if (!seen) return cpuEngine('engine: CPU reference (Dawn found no WebGPU adapter)');
    if (isSoftwareAdapter(seen)) {
      return cpuEngine(`engine: CPU reference (Dawn found only a software adapter, ${softwareName(seen)}, on which it is unstable; use --engine gpu to force it)`);
    }
  }
  let gpu: GpuContext;
  try {
    gpu = await request();
  } catch (e) {
    if (!(e instanceof GpuUnavailableError)) throw e;
    const why = e.message.replace(/^no WebGPU adapter was found by Dawn.*/, 'Dawn found no WebGPU adapter');
    return cpuEngine(`engine: CPU reference (${why})`);
  }
  if (isSoftwareAdapter(gpu.adapter)) {
    gpu.device.destroy();
    return cpuEngine(
      `engine: CPU reference (Dawn found only a software adapter, ${softwareName(gpu.adapter)}, on which it is unstable; use --engine gpu to force it)`,
    );
  }
  return gpuEngine(gpu);
}
