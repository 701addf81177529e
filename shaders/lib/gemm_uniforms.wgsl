// The uniforms of both GEMM kernels (matmul.wgsl, matmul_tiled.wgsl): one layout, so that
// one wrapper fills them for either.
struct Uniforms {
  m: u32,
  n: u32,
  k: u32,
  a_off: u32,
  b_off: u32,
  c_off: u32,
  bias_off: u32,
  bias2_off: u32,
  flags: u32,  // bit 0: add bias, bit 1: add bias2, bit 2: accumulate into C
}
