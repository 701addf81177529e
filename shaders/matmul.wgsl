// Register-blocked GEMM: C (M, N) = op(A) (M, K) · op(B) (K, N) [+ bias + bias2] [+ C].
// op(A) = A, or Aᵀ with A stored (K, M) when TRANS_A; op(B) = B, or Bᵀ with B
// stored (N, K) when TRANS_B.
// A 64×64 tile of C per workgroup of 16×16 threads; each thread keeps a 4×4 block
// of C in registers (rows lid.y + 16i, columns lid.x + 16j, so that neighbouring
// threads touch neighbouring addresses) and reuses every loaded value 4 times.
// Operands are read straight from memory (the caches serve the reuse across
// threads): no workgroup memory and no barriers. Measured against matmul_tiled.wgsl
// (npm run bench:gemm) it is slower everywhere, SwiftShader included (2–10× for most
// of a step's products), so it runs only when asked for (GemmChoice.variant
// 'registers'), to compare.
// Uses: input projection X·W_ihᵀ (NT), head H·W_outᵀ (NT), weight gradients
// dZᵀ·X (TN), input gradients dZ·W (NN).

// #include gemm_uniforms

@group(0) @binding(0) var<uniform> u: Uniforms;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read_write> c: array<f32>;

override TRANS_A: bool = false;
override TRANS_B: bool = false;

const TILE: u32 = 64u;
const RB: u32 = 4u;  // register block per thread, each dimension

@compute @workgroup_size(16, 16)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  var rows: array<u32, 4>;
  var cols: array<u32, 4>;
  for (var i = 0u; i < RB; i++) {
    // Out-of-range rows/columns are clamped for loading and skipped when storing.
    rows[i] = min(wg.y * TILE + lid.y + i * 16u, u.m - 1u);
    cols[i] = min(wg.x * TILE + lid.x + i * 16u, u.n - 1u);
  }
  var acc: array<array<f32, 4>, 4>;
  for (var i = 0u; i < RB; i++) { for (var j = 0u; j < RB; j++) { acc[i][j] = 0.0; } }

  for (var kk = 0u; kk < u.k; kk++) {
    var av: array<f32, 4>;
    var bv: array<f32, 4>;
    for (var i = 0u; i < RB; i++) {
      if (TRANS_A) { av[i] = a[u.a_off + kk * u.m + rows[i]]; } else { av[i] = a[u.a_off + rows[i] * u.k + kk]; }
      if (TRANS_B) { bv[i] = b[u.b_off + cols[i] * u.k + kk]; } else { bv[i] = b[u.b_off + kk * u.n + cols[i]]; }
    }
    for (var i = 0u; i < RB; i++) {
      for (var j = 0u; j < RB; j++) { acc[i][j] = fma(av[i], bv[j], acc[i][j]); }
    }
  }

  for (var i = 0u; i < RB; i++) {
    let row = wg.y * TILE + lid.y + i * 16u;
    if (row >= u.m) { continue; }
    for (var j = 0u; j < RB; j++) {
      let col = wg.x * TILE + lid.x + j * 16u;
      if (col >= u.n) { continue; }
      var v = acc[i][j];
      if ((u.flags & 1u) != 0u) { v += bias[u.bias_off + col]; }
      if ((u.flags & 2u) != 0u) { v += bias[u.bias2_off + col]; }
      let ci = u.c_off + row * u.n + col;
      if ((u.flags & 4u) != 0u) { v += c[ci]; }
      c[ci] = v;
    }
  }
}
