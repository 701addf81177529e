/** The WGSL sources, one file per kernel in shaders/ (Vite `?raw`; in Node, src/cli/wgsl-hooks.mjs). */
import embeddingForward from '../../shaders/embedding_forward.wgsl?raw';
import embeddingBackward from '../../shaders/embedding_backward.wgsl?raw';
import matmul from '../../shaders/matmul.wgsl?raw';
import matmulTiled from '../../shaders/matmul_tiled.wgsl?raw';
import weightGrad from '../../shaders/weight_grad.wgsl?raw';
import lstmStepForward from '../../shaders/lstm_step_forward.wgsl?raw';
import lstmStepBackward from '../../shaders/lstm_step_backward.wgsl?raw';
import lstmSeqForward from '../../shaders/lstm_seq_forward.wgsl?raw';
import lstmSeqBackward from '../../shaders/lstm_seq_backward.wgsl?raw';
import softmaxCrossEntropy from '../../shaders/softmax_cross_entropy.wgsl?raw';
import transpose from '../../shaders/transpose.wgsl?raw';
import gradNorm from '../../shaders/grad_norm.wgsl?raw';
import adam from '../../shaders/adam.wgsl?raw';
import sampleForward from '../../shaders/sample_forward.wgsl?raw';
import sampleBlock from '../../shaders/sample_block.wgsl?raw';
import activations from '../../shaders/lib/activations.wgsl?raw';
import categorical from '../../shaders/lib/categorical.wgsl?raw';
import gemmUniforms from '../../shaders/lib/gemm_uniforms.wgsl?raw';
import tileFma from '../../shaders/lib/tile_fma.wgsl?raw';
import tileLoadAKm from '../../shaders/lib/tile_load_a_km.wgsl?raw';

/** Functions shared by several kernels (WGSL has no includes): a line `// #include name` stands for the file shaders/lib/name.wgsl. */
const LIBRARY: Record<string, string> = { activations, categorical, gemm_uniforms: gemmUniforms, tile_fma: tileFma, tile_load_a_km: tileLoadAKm };

/** A kernel's source with its `// #include` lines replaced by the library files they name. */
export function withIncludes(name: string, code: string): string {
  return code.replace(/^\/\/ #include (\S+)[ \t]*$/gm, (_, lib: string) => {
    const src = LIBRARY[lib];
    if (src === undefined) throw new Error(`shader ${name} includes ${lib}, which is not in shaders/lib/`);
    return src.trimEnd();
  });
}

const SOURCES = {
  embeddingForward,
  embeddingBackward,
  matmul,
  matmulTiled,
  weightGrad,
  lstmStepForward,
  lstmStepBackward,
  lstmSeqForward,
  lstmSeqBackward,
  softmaxCrossEntropy,
  transpose,
  gradNorm,
  adam,
  sampleForward,
  sampleBlock,
} as const;

export type ShaderName = keyof typeof SOURCES;

export const SHADERS = Object.fromEntries(Object.entries(SOURCES).map(([name, code]) => [name, withIncludes(name, code)])) as Record<ShaderName, string>;

/**
 * The value of `const NAME: u32 = …u;` in a shader, so that a limit the WGSL fixes (a
 * register array's size) is stated once, in the shader, and read here.
 */
export function wgslConstU32(shader: ShaderName, name: string): number {
  const m = new RegExp(`\\bconst\\s+${name}\\s*:\\s*u32\\s*=\\s*(\\d+)u?\\s*;`).exec(SHADERS[shader]);
  if (!m) throw new Error(`shader ${shader} declares no const ${name}: u32`);
  return Number(m[1]);
}
