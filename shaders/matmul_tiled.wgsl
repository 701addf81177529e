// Tiled GEMM: C (M, N) = op(A) (M, K) · op(B) (K, N) [+ bias + bias2] [+ C], the
// uniforms, bindings 1–4 and flags of matmul.wgsl. op(A) = A, or Aᵀ with A stored
// (K, M) when TRANS_A; op(B) = B, or Bᵀ with B stored (N, K) when TRANS_B.
//
// A workgroup of WX×WY threads owns a BM×BN tile of C (BM = 4·WY, BN = 4·WX, each at
// most 64; the wrapper picks narrow tiles for narrow outputs such as E = 32 or V = 75).
// Per BK-deep slab of K, the threads copy op(A)'s BM×BK and op(B)'s BK×BN pieces into
// workgroup memory — a transposed operand is transposed here, while loading, so that
// global reads always run along the stored rows (coalesced for NN, NT and TN alike) —
// then each thread accumulates a 4×4 register block of C from one vec4 of tile_a and
// one of tile_b per k: 16 FMAs for two workgroup loads.
//
// VEC_A / VEC_B: read the operand 4 floats at a time (bindings 5 and 6 are the same
// buffers typed as vec4) — the wrapper sets them only where the operand's offset and
// its stored row length are multiples of 4, so a vec4 is wholly inside the matrix or
// wholly past its edge (then zeros). Otherwise scalar loads, zeros past the edges.
// C is bound as vec4s (a buffer may not be bound twice for writing): VEC_C writes each
// thread's 4 columns of a row as one vec4, where c_off and N are multiples of 4;
// otherwise 4 scalar stores into components.
//
// Workgroup barriers: two per slab. Even on SwiftShader, where barriers are dear, this
// kernel is as fast as the barrier-free matmul.wgsl or several times faster for every
// product of a training step (npm run bench:gemm), so every adapter runs it (gemmChoice).

// #include gemm_uniforms

@group(0) @binding(0) var<uniform> u: Uniforms;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read_write> c: array<vec4<f32>>;  // C's floats, 4 to an element
@group(0) @binding(5) var<storage, read> a4: array<vec4<f32>>;
@group(0) @binding(6) var<storage, read> b4: array<vec4<f32>>;

override TRANS_A: bool = false;
override TRANS_B: bool = false;
override VEC_A: bool = false;
override VEC_B: bool = false;
override VEC_C: bool = false;
override WX: u32 = 16u;  // threads along N: BN = 4·WX ≤ 64
override WY: u32 = 16u;  // threads along M: BM = 4·WY ≤ 64

const BK: u32 = 16u;
const TILE_VECS: u32 = 256u;  // BK·64/4: room for the widest tile side

var<workgroup> tile_a: array<vec4<f32>, TILE_VECS>;  // [k][m/4]: op(A) rows 4q..4q+3 at slab row k
var<workgroup> tile_b: array<vec4<f32>, TILE_VECS>;  // [k][n/4]: op(B) columns 4q..4q+3 at slab row k

// #include tile_fma
// #include tile_load_a_km

fn load_a(m0: u32, k0: u32, lin: u32) {
  if (TRANS_A) {
    load_a_km(m0, k0, u.k, lin);
    return;
  }
  let threads = WX * WY;
  let bm = 4u * WY;
  if (VEC_A) {
    // A stored (M, K): a vec4 holds 4 neighbouring k of one row, spread over 4 slab rows.
    for (var i = lin; i < bm * (BK / 4u); i += threads) {
      let r = i / (BK / 4u);
      let q = i % (BK / 4u);
      let m = m0 + r;
      let k = k0 + 4u * q;
      var v = vec4<f32>(0.0);
      if (m < u.m && k < u.k) { v = a4[(u.a_off + m * u.k + k) / 4u]; }
      for (var j = 0u; j < 4u; j++) { tile_a[(4u * q + j) * WY + r / 4u][r % 4u] = v[j]; }
    }
  } else {
    for (var i = lin; i < bm * BK; i += threads) {
      // Consecutive threads read consecutive stored elements.
      let r = i / BK;
      let kk = i % BK;
      let m = m0 + r;
      let k = k0 + kk;
      var v = 0.0;
      if (m < u.m && k < u.k) { v = a[u.a_off + m * u.k + k]; }
      tile_a[kk * WY + r / 4u][r % 4u] = v;
    }
  }
}

fn load_b(n0: u32, k0: u32, lin: u32) {
  let threads = WX * WY;
  let bn = 4u * WX;
  if (VEC_B && !TRANS_B) {
    // B stored (K, N): a vec4 holds 4 neighbouring columns at one k.
    for (var i = lin; i < BK * WX; i += threads) {
      let kk = i / WX;
      let q = i % WX;
      let k = k0 + kk;
      let n = n0 + 4u * q;
      var v = vec4<f32>(0.0);
      if (k < u.k && n < u.n) { v = b4[(u.b_off + k * u.n + n) / 4u]; }
      tile_b[kk * WX + q] = v;
    }
  } else if (VEC_B) {
    // B stored (N, K): a vec4 holds 4 neighbouring k of one column of op(B).
    for (var i = lin; i < bn * (BK / 4u); i += threads) {
      let r = i / (BK / 4u);
      let q = i % (BK / 4u);
      let n = n0 + r;
      let k = k0 + 4u * q;
      var v = vec4<f32>(0.0);
      if (n < u.n && k < u.k) { v = b4[(u.b_off + n * u.k + k) / 4u]; }
      for (var j = 0u; j < 4u; j++) { tile_b[(4u * q + j) * WX + r / 4u][r % 4u] = v[j]; }
    }
  } else {
    for (var i = lin; i < bn * BK; i += threads) {
      var r: u32;
      var kk: u32;
      if (TRANS_B) { r = i / BK; kk = i % BK; } else { kk = i / bn; r = i % bn; }
      let n = n0 + r;
      let k = k0 + kk;
      var v = 0.0;
      if (n < u.n && k < u.k) {
        if (TRANS_B) { v = b[u.b_off + n * u.k + k]; } else { v = b[u.b_off + k * u.n + n]; }
      }
      tile_b[kk * WX + r / 4u][r % 4u] = v;
    }
  }
}

@compute @workgroup_size(WX, WY)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let lin = lid.y * WX + lid.x;
  let m0 = wg.y * 4u * WY;
  let n0 = wg.x * 4u * WX;
  var acc: array<vec4<f32>, 4>;  // acc[i][j] = C[m0 + 4·lid.y + i, n0 + 4·lid.x + j]
  for (var k0 = 0u; k0 < u.k; k0 += BK) {
    load_a(m0, k0, lin);
    load_b(n0, k0, lin);
    workgroupBarrier();
    fma_slab(&acc, lid.y, lid.x);
    workgroupBarrier();
  }

  // The bias of this thread's 4 columns, the same for its 4 rows.
  let col0 = n0 + 4u * lid.x;
  var bv = vec4<f32>(0.0);
  for (var j = 0u; j < 4u; j++) {
    let col = min(col0 + j, u.n - 1u);
    if ((u.flags & 1u) != 0u) { bv[j] += bias[u.bias_off + col]; }
    if ((u.flags & 2u) != 0u) { bv[j] += bias[u.bias2_off + col]; }
  }
  if (VEC_C) {
    // N is a multiple of 4: the thread's 4 columns are all in C or all past it.
    if (col0 >= u.n) { return; }
    for (var i = 0u; i < 4u; i++) {
      let row = m0 + 4u * lid.y + i;
      if (row >= u.m) { break; }
      let ci = (u.c_off + row * u.n + col0) / 4u;
      var v = acc[i] + bv;
      if ((u.flags & 4u) != 0u) { v += c[ci]; }
      c[ci] = v;
    }
    return;
  }
  for (var i = 0u; i < 4u; i++) {
    let row = m0 + 4u * lid.y + i;
    if (row >= u.m) { break; }
    for (var j = 0u; j < 4u; j++) {
      let col = col0 + j;
      if (col >= u.n) { break; }
      var v = acc[i][j] + bv[j];
      let ci = u.c_off + row * u.n + col;
      if ((u.flags & 4u) != 0u) { v += c[ci / 4u][ci % 4u]; }
      c[ci / 4u][ci % 4u] = v;
    }
  }
}
