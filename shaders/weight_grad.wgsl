// Weight and bias gradients of a layer over all K = T·B positions, split over K:
//   dW1 (M, N1) = Aᵀ·B1,  dW2 (M, N2) = Aᵀ·B2,  db (M) = Aᵀ·1 = Σ_k A[k, :]
// with A stored (K, M) (dz of an LSTM layer, M = 4H; dlogits for the head, M = V),
// B1 stored (K, N1) (the layer's input x; the head: h) and B2 stored (K, N2) (h_{t-1};
// N2 = 0 for the head). Both weights are one GEMM, Aᵀ·[B1 | B2], so A is read once,
// and the bias gradient — the column sum of A — is taken from the same A tiles by the
// workgroups of the first column of tiles, so no column-sum dispatch is needed.
//
// `partial`: workgroup (x, y, z) computes the BM×BN tile (y, x) of [dW1 | dW2] (plus
// the bias column) over the z-th slice of K, k_slice positions long (a multiple of BK),
// so that no thread loops over all of K (K = 2048 for B 32, T 64). One slice: it
// writes the gradients themselves. More: it writes partial sums to
// partials[z][row][col] (M rows of N1 + N2 + 1 columns, the last one db) and `reduce`
// adds the slices in a fixed order (deterministic; no float atomics) and writes the
// gradients. Slices, tiles and threads are chosen by the wrapper (weightGradShape).
//
// Tiles as in matmul_tiled.wgsl: Aᵀ's BM×BK and [B1|B2]'s BK×BN slab pieces in
// workgroup memory, read along the stored rows (coalesced), a 4×4 register block of
// the output per thread.

struct Uniforms {
  m: u32,
  k: u32,
  n1: u32,
  n2: u32,
  a_off: u32,
  b1_off: u32,
  b2_off: u32,
  k_slice: u32,  // positions per slice of K, a multiple of BK
  slices: u32,
  w1_off: u32,   // dW1 (M, N1) in grads
  w2_off: u32,   // dW2 (M, N2) in grads
  bias_off: u32,   // db (M) in grads
  bias2_off: u32,  // a second copy of db (the LSTM's b_ih and b_hh get the same gradient)
  flags: u32,      // bit 0: write db, bit 1: write its second copy
}

@group(0) @binding(0) var<uniform> u: Uniforms;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b1: array<f32>;
@group(0) @binding(3) var<storage, read> b2: array<f32>;
@group(0) @binding(4) var<storage, read_write> grads: array<f32>;
@group(0) @binding(5) var<storage, read_write> partials: array<f32>;
@group(0) @binding(6) var<storage, read> a4: array<vec4<f32>>;  // A again, 4 floats to an element (VEC_A)

override WX: u32 = 16u;  // threads along N: BN = 4·WX ≤ 64
override WY: u32 = 16u;  // threads along M: BM = 4·WY ≤ 64
override REDUCE_WG: u32 = 256u;
override VEC_A: bool = false;  // A's offset and M are multiples of 4: load it as vec4s

const BK: u32 = 16u;
const TILE_VECS: u32 = 256u;  // BK·64/4

var<workgroup> tile_a: array<vec4<f32>, TILE_VECS>;  // [k][m/4]
var<workgroup> tile_b: array<vec4<f32>, TILE_VECS>;  // [k][n/4]

// #include tile_fma
// #include tile_load_a_km

/** Writes one finished value: column < N1 → dW1, < N1 + N2 → dW2, N1 + N2 → db. */
fn store(row: u32, col: u32, v: f32) {
  if (col < u.n1) {
    grads[u.w1_off + row * u.n1 + col] = v;
  } else if (col < u.n1 + u.n2) {
    grads[u.w2_off + row * u.n2 + col - u.n1] = v;
  } else {
    grads[u.bias_off + row] = v;
    if ((u.flags & 2u) != 0u) { grads[u.bias2_off + row] = v; }
  }
}

@compute @workgroup_size(WX, WY)
fn partial(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let threads = WX * WY;
  let lin = lid.y * WX + lid.x;
  let bm = 4u * WY;
  let bn = 4u * WX;
  let n = u.n1 + u.n2;
  let m0 = wg.y * bm;
  let n0 = wg.x * bn;
  let k_begin = wg.z * u.k_slice;
  let k_end = min(u.k, k_begin + u.k_slice);
  // The bias column: summed by the threads of the first column of tiles that own column 0.
  let bias_here = wg.x == 0u && lid.x == 0u && (u.flags & 1u) != 0u;
  var acc: array<vec4<f32>, 4>;  // acc[i][j] = dW[m0 + 4·lid.y + i, n0 + 4·lid.x + j]
  var bacc = vec4<f32>(0.0);     // db[m0 + 4·lid.y + i]
  for (var k0 = k_begin; k0 < k_end; k0 += BK) {
    load_a_km(m0, k0, k_end, lin);
    for (var i = lin; i < bn * BK; i += threads) {
      let kk = i / bn;
      let r = i % bn;
      let k = k0 + kk;
      let col = n0 + r;
      var v = 0.0;
      if (k < k_end) {
        if (col < u.n1) { v = b1[u.b1_off + k * u.n1 + col]; } else if (col < n) { v = b2[u.b2_off + k * u.n2 + col - u.n1]; }
      }
      tile_b[kk * WX + r / 4u][r % 4u] = v;
    }
    workgroupBarrier();
    fma_slab(&acc, lid.y, lid.x);
    if (bias_here) {
      for (var kk = 0u; kk < BK; kk++) { bacc += tile_a[kk * WY + lid.y]; }
    }
    workgroupBarrier();
  }

  let stride = n + 1u;  // partials' row: N1 + N2 weight columns, then db
  for (var i = 0u; i < 4u; i++) {
    let row = m0 + 4u * lid.y + i;
    if (row >= u.m) { break; }
    for (var j = 0u; j < 4u; j++) {
      let col = n0 + 4u * lid.x + j;
      if (col >= n) { break; }
      if (u.slices == 1u) { store(row, col, acc[i][j]); } else { partials[(wg.z * u.m + row) * stride + col] = acc[i][j]; }
    }
    if (bias_here) {
      if (u.slices == 1u) { store(row, n, bacc[i]); } else { partials[(wg.z * u.m + row) * stride + n] = bacc[i]; }
    }
  }
}

/** One thread per output value (M rows of N1 + N2 + 1): the slices' partial sums in order. */
@compute @workgroup_size(REDUCE_WG)
fn reduce(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let stride = u.n1 + u.n2 + 1u;
  let idx = gid.x + gid.y * nwg.x * REDUCE_WG;
  if (idx >= u.m * stride) { return; }
  let row = idx / stride;
  let col = idx % stride;
  if (col == stride - 1u && (u.flags & 1u) == 0u) { return; }
  var v = 0.0;
  for (var s = 0u; s < u.slices; s++) { v += partials[(s * u.m + row) * stride + col]; }
  store(row, col, v);
}
