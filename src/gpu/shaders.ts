/** The WGSL sources, one file per kernel in shaders/ (Vite `?raw`; in Node, src/cli/wgsl-hooks.mjs). */
import embeddingForward from '../../shaders/embedding_forward.wgsl?raw';
import embeddingBackward from '../../shaders/embedding_backward.wgsl?raw';
import matmul from '../../shaders/matmul.wgsl?raw';
import lstmStepForward from '../../shaders/lstm_step_forward.wgsl?raw';
import lstmStepBackward from '../../shaders/lstm_step_backward.wgsl?raw';
import softmaxCrossEntropy from '../../shaders/softmax_cross_entropy.wgsl?raw';
import columnSum from '../../shaders/column_sum.wgsl?raw';
import transpose from '../../shaders/transpose.wgsl?raw';
import gradNorm from '../../shaders/grad_norm.wgsl?raw';
import adam from '../../shaders/adam.wgsl?raw';
import sampleForward from '../../shaders/sample_forward.wgsl?raw';

export const SHADERS = {
  embeddingForward,
  embeddingBackward,
  matmul,
  lstmStepForward,
  lstmStepBackward,
  softmaxCrossEntropy,
  columnSum,
  transpose,
  gradNorm,
  adam,
  sampleForward,
} as const;

export type ShaderName = keyof typeof SHADERS;
