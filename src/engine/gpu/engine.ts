/** The WebGPU engine on one device: models and trainers that share its pipelines' device. */
import type { GpuContext } from '../../gpu/device.ts';
import type { Engine } from '../contract.ts';
import { GpuModel } from './model.ts';
import { GpuTrainer } from './trainer.ts';

/**
 * An Engine on `gpu`. `ownsDevice`: close() destroys the device (the CLI's own device);
 * the page's device is shared by every element and outlives any one engine.
 */
export function gpuEngine(gpu: GpuContext, description: string, ownsDevice: boolean): Engine {
  return {
    kind: 'gpu',
    description,
    model: async (table, params) => new GpuModel(gpu, table, params),
    trainer: (table, config, data, start) => GpuTrainer.create(gpu, table, config, data, start),
    close: () => {
      if (ownsDevice) gpu.device.destroy();
    },
  };
}
