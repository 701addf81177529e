// Register-blocked GEMM: C (M, N) = op(A) (M, K) · op(B) (K, N) [+ bias + bias2].
// op(A) = A, or Aᵀ with A stored (K, M) when TRANS_A; op(B) = B, or Bᵀ with B
// stored (N, K) when TRANS_B. A 64×64 tile of C per workgroup of 16×8 threads,
// each thread accumulating an 8×4 block in registers (rows lid.y + 8i, columns
// lid.x + 16j); K is walked in tiles of 16 staged through workgroup memory.
// 128 invocations: SwiftShader under Dawn for Node fails with 256 and barriers.
// Uses: input projection X·W_ihᵀ (NT), head H·W_outᵀ (NT), weight gradients
// dZᵀ·X (TN), input gradients dZ·W (NN).

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

@group(0) @binding(0) var<uniform> u: Uniforms;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read_write> c: array<f32>;

override TRANS_A: bool = false;
override TRANS_B: bool = false;

const TILE: u32 = 64u;
const KT: u32 = 16u;
const RM: u32 = 8u;  // rows per thread
const RN: u32 = 4u;  // columns per thread

var<workgroup> a_tile: array<f32, 1024>;  // (KT, TILE), k-major
var<workgroup> b_tile: array<f32, 1024>;  // (KT, TILE), k-major

fn load_a(row: u32, kk: u32) -> f32 {
  if (row >= u.m || kk >= u.k) { return 0.0; }
  if (TRANS_A) { return a[u.a_off + kk * u.m + row]; }
  return a[u.a_off + row * u.k + kk];
}

fn load_b(kk: u32, col: u32) -> f32 {
  if (col >= u.n || kk >= u.k) { return 0.0; }
  if (TRANS_B) { return b[u.b_off + col * u.k + kk]; }
  return b[u.b_off + kk * u.n + col];
}

@compute @workgroup_size(16, 8)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>,
        @builtin(local_invocation_index) li: u32) {
  let row0 = wg.y * TILE;
  let col0 = wg.x * TILE;
  var acc: array<array<f32, 4>, 8>;
  for (var i = 0u; i < RM; i++) { for (var j = 0u; j < RN; j++) { acc[i][j] = 0.0; } }

  for (var k0 = 0u; k0 < u.k; k0 += KT) {
    // 128 threads stage 1024 elements of each tile, 8 apiece.
    for (var s = 0u; s < 8u; s++) {
      let idx = li + s * 128u;
      // For A, consecutive threads walk k when A is (M, K) row-major, m when transposed.
      if (TRANS_A) {
        let kk = idx / TILE; let mm = idx % TILE;
        a_tile[kk * TILE + mm] = load_a(row0 + mm, k0 + kk);
      } else {
        let mm = idx / KT; let kk = idx % KT;
        a_tile[kk * TILE + mm] = load_a(row0 + mm, k0 + kk);
      }
      if (TRANS_B) {
        let nn = idx / KT; let kk = idx % KT;
        b_tile[kk * TILE + nn] = load_b(k0 + kk, col0 + nn);
      } else {
        let kk = idx / TILE; let nn = idx % TILE;
        b_tile[kk * TILE + nn] = load_b(k0 + kk, col0 + nn);
      }
    }
    workgroupBarrier();
    for (var kk = 0u; kk < KT; kk++) {
      var av: array<f32, 8>;
      var bv: array<f32, 4>;
      for (var i = 0u; i < RM; i++) { av[i] = a_tile[kk * TILE + lid.y + i * 8u]; }
      for (var j = 0u; j < RN; j++) { bv[j] = b_tile[kk * TILE + lid.x + j * 16u]; }
      for (var i = 0u; i < RM; i++) {
        for (var j = 0u; j < RN; j++) { acc[i][j] = fma(av[i], bv[j], acc[i][j]); }
      }
    }
    workgroupBarrier();
  }

  for (var i = 0u; i < RM; i++) {
    let row = row0 + lid.y + i * 8u;
    if (row >= u.m) { continue; }
    for (var j = 0u; j < RN; j++) {
      let col = col0 + lid.x + j * 16u;
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
