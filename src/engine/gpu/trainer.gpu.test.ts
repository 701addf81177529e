/**
 * Whole-model parity on the GPU against the float64 CPU reference: training steps,
 * evaluation, hidden states and sampling, on seeded tiny models.
 */
import { describe, expect, it } from 'vitest';
import { testGpu, compareArrays } from '../../gpu/testing.ts';
import { buildParamTable, initParams } from '../../model/params.ts';
import { NOTEBOOK_TRAIN, type ModelConfig, type TrainConfig } from '../../model/config.ts';
import { Rng } from '../../model/rng.ts';
import { GpuTrainer } from './trainer.ts';
import { dispatchBudget, dispatchReport, stateAfter, trainingBatcher, type StepResult } from '../contract.ts';
import { CpuModel } from '../cpu.ts';
import { GpuModel, type GpuModelOptions } from './model.ts';
import { modelBackwardReference, modelForwardReference, trainStepReference, type AdamState } from '../../reference/model.ts';
import { sampleReference } from '../../reference/kernels.ts';
import { gpuPassBuffers, gpuTrainerBuffers, type BufferSize } from '../memory.ts';

function randomTokens(n: number, V: number, seed: number): Int32Array {
  const rng = new Rng(seed);
  return Int32Array.from({ length: n }, () => rng.int(V));
}

function setup(model: ModelConfig, seed: number) {
  const table = buildParamTable(model);
  const params = initParams(table, new Rng(seed));
  return { table, params };
}

/** The recurrences the whole-step tests run on: the persistent kernels (what this device chooses) and the forced per-timestep fallback. */
const PATHS: { name: string; options: GpuModelOptions; persistent: boolean }[] = [
  { name: 'persistent', options: {}, persistent: true },
  { name: 'per-timestep', options: { recurrence: 'per-timestep' }, persistent: false },
];

describe('training step parity (GPU vs CPU reference)', () => {
  const gradientCases: { name: string; cfg: ModelConfig; B: number; T: number; options: GpuModelOptions; persistent: boolean }[] = [
    ...PATHS.map((p) => ({ ...p, cfg: { vocabSize: 7, embedSize: 5, hiddenSize: 6, layers: 2 }, B: 3, T: 4 })),
    // Workgroup memory for one stream of the backward kernel's dc (H floats and 20 bytes: 44) but not for its dz
    // (6H floats) nor the forward's h and c (3H): both persistent, reading that state back from global memory.
    {
      name: 'persistent, state read back from global memory',
      cfg: { vocabSize: 7, embedSize: 5, hiddenSize: 6, layers: 2 },
      B: 3,
      T: 4,
      options: { limits: { maxComputeWorkgroupStorageSize: 48 } },
      persistent: true,
    },
    // Less than that: persistent forward (h and c read back), per-timestep backward.
    {
      name: 'mixed (limits for the forward kernel only)',
      cfg: { vocabSize: 7, embedSize: 5, hiddenSize: 6, layers: 2 },
      B: 3,
      T: 4,
      options: { limits: { maxComputeWorkgroupStorageSize: 40 } },
      persistent: false,
    },
    // The large configuration's H 512 on WebGPU's default 16 KiB of workgroup memory (which it used to exceed in the
    // backward, falling back to a dispatch per timestep): persistent both ways, within 8·L + 16.
    {
      name: 'persistent, H 512 on 16 KiB of workgroup memory',
      cfg: { vocabSize: 7, embedSize: 5, hiddenSize: 512, layers: 1 },
      B: 2,
      T: 3,
      options: { limits: { maxComputeWorkgroupStorageSize: 16384, maxComputeInvocationsPerWorkgroup: 256, maxComputeWorkgroupSizeX: 256 }, calibrate: false },
      persistent: true,
    },
    // H, B and the streams per workgroup not multiples of each other: 3 streams in workgroups of 2.
    {
      name: 'persistent, 2 streams per workgroup, H 20',
      cfg: { vocabSize: 7, embedSize: 5, hiddenSize: 20, layers: 2 },
      B: 3,
      T: 5,
      options: { streamsPerWorkgroup: { forward: 2, backward: 2 } },
      persistent: true,
    },
    // The GEMM kernels forced (SwiftShader chooses tiled without split K, a GPU tiled with split K); N = T·B = 320 positions,
    // which weight_grad splits into slices when asked to.
    ...[
      { variant: 'registers', splitK: false },
      { variant: 'tiled', splitK: true },
    ].map((gemm) => ({
      name: `${gemm.variant} GEMMs${gemm.splitK ? ', weight gradients split over K' : ''}`,
      cfg: { vocabSize: 7, embedSize: 5, hiddenSize: 6, layers: 2 },
      B: 8,
      T: 40,
      options: { gemm } as GpuModelOptions,
      persistent: true,
    })),
  ];
  for (const c of gradientCases) {
    it(`gradients of one step match exact BPTT, tensor by tensor (${c.name}, L ${c.cfg.layers} H ${c.cfg.hiddenSize} B ${c.B} T ${c.T})`, async () => {
      const gpu = await testGpu();
      const cfg = c.cfg;
      const train: TrainConfig = { ...NOTEBOOK_TRAIN, batch: c.B, seqLen: c.T, schedule: 'windows', seed: 1 };
      const { table, params } = setup(cfg, 3);
      const data = randomTokens(80, cfg.vocabSize, 11);
      const trainer = await GpuTrainer.create(gpu, table, train, data, { params }, c.options);
      expect(trainer.recurrence.persistent, trainer.recurrence.summary).toBe(c.persistent);
      if (c.options.limits?.maxComputeWorkgroupStorageSize === 16384) {
        expect([trainer.recurrence.forward?.stateInWorkgroup, trainer.recurrence.backward?.stateInWorkgroup]).toEqual([true, true]);
        expect(trainer.dispatchesPerStep).toBeLessThanOrEqual(dispatchBudget(c.cfg.layers));
      } else if (c.options.limits) {
        expect(trainer.recurrence.forward?.stateInWorkgroup).toBe(false);
        expect(trainer.recurrence.backward?.stateInWorkgroup ?? null).toBe(c.persistent ? false : null);
      }
      const streams = c.options.streamsPerWorkgroup;
      if (streams) expect([trainer.recurrence.forward?.sb, trainer.recurrence.backward?.sb]).toEqual([streams.forward, streams.backward]);
      if (c.options.gemm) expect(trainer.splitK).toEqual([c.options.gemm.splitK, c.options.gemm.splitK, c.options.gemm.splitK]);
      await trainer.trainStep();
      await trainer.flush();
      const got = await trainer.readGradients();
      const b = trainingBatcher(data, train).next();
      const { cache } = modelForwardReference(table, params, b.inputs, b.targets, train.seqLen, train.batch);
      const want = modelBackwardReference(table, params, cache);
      const reports = table.entries
        .map((e) => compareArrays(e.name, got.subarray(e.offset, e.offset + e.size), want.subarray(e.offset, e.offset + e.size), 1e-6, 1e-4))
        .filter((r) => r !== null);
      expect(reports).toEqual([]);
      trainer.destroy();
    });
  }

  it('dispatches per step: independent of T and within 8·L + 16 with the persistent kernels; the per-timestep ones, 2·(T-1)·L more, are over budget and said so', async () => {
    const gpu = await testGpu();
    const cfg: ModelConfig = { vocabSize: 7, embedSize: 5, hiddenSize: 6, layers: 2 };
    const { table, params } = setup(cfg, 3);
    const data = randomTokens(200, cfg.vocabSize, 11);
    const count = async (T: number, options: GpuModelOptions) => {
      const t = await GpuTrainer.create(gpu, table, { ...NOTEBOOK_TRAIN, batch: 3, seqLen: T, schedule: 'windows' }, data, { params }, options);
      const n = t.dispatchesPerStep;
      t.destroy();
      return n;
    };
    const budget = dispatchBudget(cfg.layers);
    expect(budget).toBe(8 * 2 + 16);
    const persistent = await count(4, {});
    expect(await count(16, {})).toBe(persistent);
    expect(persistent).toBeLessThanOrEqual(budget);
    expect(dispatchReport(persistent, budget)).toBe(`${persistent}/step (budget 32)`);
    // Both directions persistent with their state in global memory: the same count.
    expect(await count(16, { limits: { maxComputeWorkgroupStorageSize: 48 } })).toBe(persistent);
    const perTimestep = await count(16, { recurrence: 'per-timestep' });
    expect(perTimestep).toBe(persistent + 2 * (16 - 1) * cfg.layers);
    expect(perTimestep).toBeGreaterThan(budget);
    expect(dispatchReport(perTimestep, budget)).toBe(`${perTimestep}/step — over the budget of 32 (8·L + 16) by ${perTimestep - 32}`);
  });

  it('calibration: times the streams per workgroup and split K at the step’s shapes, once per device and shape; forced choices are not timed', async () => {
    const gpu = await testGpu();
    // H 9: a shape no other test of this file runs, so nothing is cached for it yet.
    const cfg: ModelConfig = { vocabSize: 7, embedSize: 5, hiddenSize: 9, layers: 1 };
    const { table, params } = setup(cfg, 3);
    const data = randomTokens(400, cfg.vocabSize, 11);
    // B 4: candidates 1, 2, 4 streams a workgroup; N = 256 positions: weight_grad can split K in 2.
    const train: TrainConfig = { ...NOTEBOOK_TRAIN, batch: 4, seqLen: 64, schedule: 'windows' };
    const first = await GpuTrainer.create(gpu, table, train, data, { params });
    const lines = first.calibration.join('\n');
    expect(lines).toMatch(/^forward H 9 B 4 \(8 timesteps\): 1 stream [\d.]+ ms, 2 streams [\d.]+ ms, 4 streams [\d.]+ ms$/m);
    expect(lines).toMatch(/^backward H 9 B 4 \(8 timesteps\): 1 stream [\d.]+ ms, 2 streams [\d.]+ ms, 4 streams [\d.]+ ms$/m);
    // dW_out (7, 9) and dW_ih | dW_hh (36, 5 + 9) over K 256.
    expect(lines.match(/^weight_grad \d+×\d+ over K 256: one pass [\d.]+ ms, 2 slices [\d.]+ ms$/gm)).toHaveLength(2);
    expect([1, 2, 4]).toContain(first.recurrence.forward?.sb);
    expect([1, 2, 4]).toContain(first.recurrence.backward?.sb);
    expect(first.splitK).toHaveLength(2);
    // The same shape again on this device: the cached choice, nothing timed.
    const second = await GpuTrainer.create(gpu, table, train, data, { params });
    expect(second.calibration).toEqual([]);
    expect([second.recurrence, second.splitK]).toEqual([first.recurrence, first.splitK]);
    // Forced: nothing timed (the parity tests force what they compare).
    const forced = await GpuTrainer.create(
      gpu,
      table,
      { ...train, batch: 3, seqLen: 100 },
      data,
      { params },
      { streamsPerWorkgroup: { forward: 3, backward: 1 }, gemm: { splitK: true } },
    );
    expect(forced.calibration).toEqual([]);
    expect([forced.recurrence.forward?.sb, forced.recurrence.backward?.sb, forced.splitK]).toEqual([3, 1, [true, true]]);
    for (const t of [first, second, forced]) t.destroy();
  });

  for (const path of PATHS)
    for (const schedule of ['streams', 'windows'] as const) {
      it(`2 layers, 5 Adam steps, ${schedule}, ${path.name}: every loss and parameter within 1e-4 relative`, async () => {
        const gpu = await testGpu();
        const cfg: ModelConfig = { vocabSize: 7, embedSize: 5, hiddenSize: 6, layers: 2 };
        const train: TrainConfig = { ...NOTEBOOK_TRAIN, batch: 3, seqLen: 4, lr: 0.01, clip: 1, schedule, seed: 7, lrDecay: 0.99 };
        const { table, params } = setup(cfg, 3);
        const data = randomTokens(80, cfg.vocabSize, 11);
        const trainer = await GpuTrainer.create(gpu, table, train, data, { params }, path.options);
        expect(trainer.recurrence.persistent, trainer.recurrence.summary).toBe(path.persistent);
        if (path.persistent) expect(trainer.dispatchesPerStep).toBeLessThanOrEqual(dispatchBudget(cfg.layers));
        else expect(trainer.dispatchesPerStep).toBeGreaterThan(dispatchBudget(cfg.layers));

        // The reference walks the same batches, carrying (or resetting) the state the same way.
        const batcher = trainingBatcher(data, train);
        const ref = Float64Array.from(params);
        const adam: AdamState = { m: new Float64Array(table.totalSize), v: new Float64Array(table.totalSize), step: 0 };
        const zero = () => Array.from({ length: cfg.layers }, () => new Float64Array(train.batch * cfg.hiddenSize));
        let h: Float64Array[] = zero();
        let c: Float64Array[] = zero();
        const refLosses: number[] = [];
        const results: StepResult[] = [];
        for (let s = 0; s < 5; s++) {
          results.push(...(await trainer.trainStep()));
          const b = batcher.next();
          if (b.resetState) {
            h = zero();
            c = zero();
          }
          const r = trainStepReference(
            table,
            ref,
            adam,
            b.inputs,
            b.targets,
            train.seqLen,
            train.batch,
            {
              lr: train.lr,
              clip: train.clip,
              beta1: train.beta1,
              beta2: train.beta2,
              eps: train.eps,
              lrDecay: train.lrDecay,
            },
            h,
            c,
          );
          h = r.hT;
          c = r.cT;
          refLosses.push(r.loss);
        }
        results.push(...(await trainer.flush()));
        expect(results.map((r) => r.step)).toEqual([1, 2, 3, 4, 5]);
        expect(
          compareArrays(
            'losses',
            results.map((r) => r.loss),
            refLosses,
            1e-6,
            1e-4,
          ),
        ).toBeNull();
        const got = await trainer.model.readParams();
        expect(compareArrays('parameters after 5 steps', got, ref, 1e-6, 1e-4)).toBeNull();
        const carried = await trainer.readCarried();
        expect(
          compareArrays(
            'carried h',
            carried.h,
            h.flatMap((x) => Array.from(x)),
            1e-5,
            1e-4,
          ),
        ).toBeNull();
        trainer.destroy();
      });
    }

  it('a loaded snapshot continues exactly like the trainer it came from', async () => {
    const gpu = await testGpu();
    const cfg: ModelConfig = { vocabSize: 6, embedSize: 4, hiddenSize: 5, layers: 1 };
    const train: TrainConfig = { ...NOTEBOOK_TRAIN, batch: 2, seqLen: 3, lr: 0.02, schedule: 'streams', seed: 5 };
    const { table, params } = setup(cfg, 9);
    const data = randomTokens(50, cfg.vocabSize, 2);
    const a = await GpuTrainer.create(gpu, table, train, data, { params });
    const ra: StepResult[] = [];
    const rb: StepResult[] = [];
    for (let s = 0; s < 3; s++) ra.push(...(await a.trainStep()));
    const snap = await a.snapshot();
    const b = await GpuTrainer.create(gpu, table, train, data, snap);
    for (let s = 0; s < 3; s++) {
      ra.push(...(await a.trainStep()));
      rb.push(...(await b.trainStep()));
    }
    ra.push(...(await a.flush()));
    rb.push(...(await b.flush()));
    expect(ra.map((r) => r.step)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(rb.map((r) => r.loss)).toEqual(ra.slice(-3).map((r) => r.loss));
    expect(Array.from(await b.model.readParams())).toEqual(Array.from(await a.model.readParams()));
    a.destroy();
    b.destroy();
  });
});

/** The label and size of every buffer `device` creates while `fn` runs, sorted by label. */
async function buffersCreated(device: GPUDevice, fn: () => Promise<unknown>): Promise<BufferSize[]> {
  const made: BufferSize[] = [];
  const create = device.createBuffer;
  device.createBuffer = function (this: GPUDevice, d: GPUBufferDescriptor): GPUBuffer {
    made.push({ label: d.label ?? '', bytes: d.size });
    return create.call(this, d);
  };
  try {
    await fn();
  } finally {
    device.createBuffer = create;
  }
  return made.sort((a, b) => a.label.localeCompare(b.label));
}

const byLabel = (xs: BufferSize[]) => [...xs].sort((a, b) => a.label.localeCompare(b.label));

describe('the memory of a setting (memory.ts)', () => {
  it('gpuTrainerBuffers and gpuPassBuffers are the buffers a trainer, validation and the inspector create, label by label', async () => {
    const gpu = await testGpu();
    const { maxStorageBufferBindingSize: binding, maxBufferSize: buffer } = gpu.device.limits;
    console.log(`per-buffer limit on this adapter: maxStorageBufferBindingSize ${binding}, maxBufferSize ${buffer}`);
    const cfg: ModelConfig = { vocabSize: 9, embedSize: 5, hiddenSize: 7, layers: 2 };
    const train: TrainConfig = { ...NOTEBOOK_TRAIN, batch: 3, seqLen: 37 };
    const { table, params } = setup(cfg, 4);
    const data = randomTokens(3000, cfg.vocabSize, 5);
    // Split weight gradients (as on a hardware adapter): their partial sums are counted too; memory.test.ts pins the unsplit sizes the bench counted.
    for (const splitK of [true]) {
      let t: GpuTrainer | null = null;
      const made = await buffersCreated(
        gpu.device,
        async () => (t = await GpuTrainer.create(gpu, table, train, data, { params }, { gemm: { splitK }, calibrate: false })),
      );
      const gemm = { maxThreads: gpu.device.limits.maxComputeInvocationsPerWorkgroup, splitK };
      // Besides them only each dispatch's few bytes of uniforms.
      const uniforms = made.filter((b) => b.label.endsWith(' uniforms'));
      expect(uniforms.every((b) => b.bytes <= 64)).toBe(true);
      expect(made.filter((b) => !uniforms.includes(b))).toEqual(byLabel(gpuTrainerBuffers(cfg, train, gemm)));
      // Validation (32 streams of up to 128 characters) and the inspector's reads (one stream) add their passes, once.
      const passes = await buffersCreated(gpu.device, async () => {
        await t!.model.evaluate(randomTokens(8193, cfg.vocabSize, 6), 32); // periodic validation: 8,193 characters
        await t!.model.hiddenStates(randomTokens(300, cfg.vocabSize, 7));
        await t!.model.evaluate(randomTokens(1000, cfg.vocabSize, 8));
      });
      expect(passes.filter((b) => !b.label.endsWith(' uniforms') && !b.label.startsWith('read '))).toEqual(byLabel(gpuPassBuffers(cfg)));
      t!.destroy();
    }
  });
});

describe('settings too large for the adapter', () => {
  it('are refused before anything is allocated, naming the buffer, the sizes and what to lower', async () => {
    const gpu = await testGpu();
    const errors: string[] = [];
    const listen = (e: Event) => errors.push((e as GPUUncapturedErrorEvent).error.message);
    gpu.device.addEventListener('uncapturederror', listen);
    const cfg: ModelConfig = { vocabSize: 1024, embedSize: 4, hiddenSize: 8, layers: 1 };
    const train: TrainConfig = { ...NOTEBOOK_TRAIN, batch: 4096, seqLen: 4096, schedule: 'windows' };
    const { table, params } = setup(cfg, 1);
    const data = randomTokens(5000, cfg.vocabSize, 2);
    await expect(GpuTrainer.create(gpu, table, train, data, { params })).rejects.toThrow(
      /^these settings \(V 1024, E 4, H 8, L 1, B 4096 × T 4096\) need 65,536 MiB for the logits \(B·T × V\), more than this GPU allows in one buffer \([\d,.]+ MiB\): use fewer streams B or a shorter length T \(this model fits at most [\d,]+ positions B·T here\)$/,
    );
    // The same device still builds a trainer that fits.
    const small = await GpuTrainer.create(gpu, table, { ...train, batch: 2, seqLen: 8 }, data, { params });
    await small.trainStep();
    expect((await small.flush()).map((r) => r.step)).toEqual([1]);
    small.destroy();
    gpu.device.removeEventListener('uncapturederror', listen);
    expect(errors).toEqual([]);
  });
});

describe('forward-only parity', () => {
  const cfg: ModelConfig = { vocabSize: 9, embedSize: 4, hiddenSize: 7, layers: 2 };

  for (const path of PATHS) {
    it(`evaluate: per-position losses of a text longer than one chunk, from zero state (${path.name})`, async () => {
      const gpu = await testGpu();
      const { table, params } = setup(cfg, 4);
      const ids = randomTokens(150, cfg.vocabSize, 8);
      const model = new GpuModel(gpu, table, params, path.options);
      expect(model.recurrence(3).forward !== null).toBe(path.persistent);
      const got = await model.evaluate(ids);
      const { cache } = modelForwardReference(table, params, ids.subarray(0, 149), ids.subarray(1), 149, 1);
      expect(compareArrays('losses', got, cache.losses, 1e-5, 1e-4)).toBeNull();

      // Several streams: each segment from zero state.
      const S = 3;
      const len = Math.floor(149 / S);
      const multi = await model.evaluate(ids, S);
      for (let b = 0; b < S; b++) {
        const seg = ids.subarray(b * len, b * len + len + 1);
        const r = modelForwardReference(table, params, seg.subarray(0, len), seg.subarray(1), len, 1);
        expect(compareArrays(`stream ${b}`, multi.subarray(b * len, (b + 1) * len), r.cache.losses, 1e-5, 1e-4)).toBeNull();
      }
      model.destroy();
    });

    it(`hidden states, cell states and gates after each character (${path.name})`, async () => {
      const gpu = await testGpu();
      const { table, params } = setup(cfg, 5);
      const ids = randomTokens(20, cfg.vocabSize, 3);
      const model = new GpuModel(gpu, table, params, path.options);
      const got = await model.hiddenStates(ids);
      const { cache } = modelForwardReference(table, params, ids, new Int32Array(20), 20, 1);
      for (let l = 0; l < cfg.layers; l++) {
        expect(compareArrays(`h layer ${l}`, got.h[l], cache.hs[l].subarray(cfg.hiddenSize), 1e-5, 1e-4)).toBeNull();
        expect(compareArrays(`c layer ${l}`, got.c[l], cache.cs[l].subarray(cfg.hiddenSize), 1e-5, 1e-4)).toBeNull();
        expect(compareArrays(`gates layer ${l}`, got.gates[l], cache.gates[l], 1e-5, 1e-4)).toBeNull();
      }
      // A shorter text reuses the same padded pass (T = 32 for 17–32 characters) and gets its own states.
      const short = await model.hiddenStates(ids.subarray(0, 17));
      expect(compareArrays('h of 17 characters', short.h[1], cache.hs[1].subarray(cfg.hiddenSize, 18 * cfg.hiddenSize), 1e-5, 1e-4)).toBeNull();
      expect(compareArrays('c of 17 characters', short.c[1], cache.cs[1].subarray(cfg.hiddenSize, 18 * cfg.hiddenSize), 1e-5, 1e-4)).toBeNull();
      // The rest read from the first part's last state gives the rows of the whole read, on both
      // engines. The CPU engine carries float64 state inside a read and resumes from the f32 rows
      // HiddenStates gives, so its two reads agree to f32 rounding (an ulp or so), not bit for bit.
      const H = cfg.hiddenSize;
      const rest = await model.hiddenStates(ids.subarray(17), stateAfter(short, H, 16));
      const cpu = new CpuModel(table, params);
      const cpuWhole = await cpu.hiddenStates(ids);
      const cpuRest = await cpu.hiddenStates(ids.subarray(17), stateAfter(await cpu.hiddenStates(ids.subarray(0, 17)), H, 16));
      for (let l = 0; l < cfg.layers; l++) {
        for (const [name, engine, part, whole, width] of [
          ['h', 'GPU', rest.h[l], got.h[l], H],
          ['c', 'GPU', rest.c[l], got.c[l], H],
          ['gates', 'GPU', rest.gates[l], got.gates[l], 4 * H],
          ['h', 'CPU', cpuRest.h[l], cpuWhole.h[l], H],
          ['c', 'CPU', cpuRest.c[l], cpuWhole.c[l], H],
          ['gates', 'CPU', cpuRest.gates[l], cpuWhole.gates[l], 4 * H],
        ] as const) {
          const [atol, rtol] = engine === 'GPU' ? [1e-5, 1e-4] : [1e-7, 1e-6];
          expect(compareArrays(`${engine} ${name} layer ${l}, read in two parts`, part, whole.subarray(17 * width), atol, rtol)).toBeNull();
        }
        // The part that was read is the start of the whole read.
        expect(short.h[l]).toEqual(got.h[l].subarray(0, 17 * H));
      }
      model.destroy();
    });
  }

  for (const sampler of ['auto', 'per-character'] as const)
    it(`sampling (${sampler}): the same seed gives the same text as the CPU reference, per temperature row`, async () => {
      const gpu = await testGpu();
      const { table, params } = setup(cfg, 6);
      // Sharpen the head a little so that draws are not all near-uniform.
      for (let i = 0; i < table.headWeight.size; i++) params[table.headWeight.offset + i] *= 3;
      const model = new GpuModel(gpu, table, params, { sampler });
      expect('reason' in model.samplerShape()).toBe(sampler === 'per-character');
      const rows = [
        { temperature: 0.5, topK: 0, topP: 1 },
        { temperature: 1.0, topK: 3, topP: 1 },
        { temperature: 1.5, topK: 0, topP: 0.8 },
        { temperature: 0, topK: 0, topP: 1 },
      ];
      const prime = Int32Array.from([1, 4, 2]);
      const length = 40;
      const seed = 1234;
      let progressCalls = 0;
      const got = await model.sample({ prime, length, rows, seed }, () => progressCalls++);
      expect(progressCalls).toBeGreaterThan(1);

      // CPU: one character at a time, carrying the state, with the same uniforms.
      const R = rows.length;
      const rng = new Rng(seed);
      const steps = prime.length - 1 + length;
      const rand = Array.from({ length: steps * R }, () => Math.fround(rng.uniform()));
      let h = Array.from({ length: cfg.layers }, () => new Float64Array(R * cfg.hiddenSize));
      let c = Array.from({ length: cfg.layers }, () => new Float64Array(R * cfg.hiddenSize));
      let input = new Int32Array(R).fill(prime[0]);
      const want = rows.map(() => [] as number[]);
      for (let s = 0; s < steps; s++) {
        const { cache } = modelForwardReference(table, params, input, new Int32Array(R), 1, R, h, c);
        h = cache.hs.map((x) => x.slice(R * cfg.hiddenSize));
        c = cache.cs.map((x) => x.slice(R * cfg.hiddenSize));
        const next = new Int32Array(R);
        for (let r = 0; r < R; r++) {
          if (s + 1 < prime.length) next[r] = prime[s + 1];
          else {
            const logits = cache.logits.subarray(r * cfg.vocabSize, (r + 1) * cfg.vocabSize);
            next[r] = sampleReference(logits, cfg.vocabSize, rows[r], rand[s * R + r]);
            want[r].push(next[r]);
          }
        }
        input = next;
      }
      got.forEach((g, r) => expect(Array.from(g), `row ${r} (temperature ${rows[r].temperature})`).toEqual(want[r]));
      // The prepared generation is reused: a shorter one in between, then the same request again, gives the same text.
      await model.sample({ prime: Int32Array.from([3]), length: 5, rows, seed: 7 });
      const again = await model.sample({ prime, length, rows, seed });
      again.forEach((g, r) => expect(Array.from(g), `row ${r} again`).toEqual(want[r]));
      model.destroy();
    });
});
