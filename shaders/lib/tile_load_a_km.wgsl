// One BK-deep slab of a tiled GEMM's op(A) = Aᵀ into tile_a ([k][m/4]), with A stored
// (K, M) (matmul_tiled.wgsl with TRANS_A, weight_grad.wgsl always): slab rows k0 ..
// k0 + BK - 1 and tile rows m0 .., zeros at k ≥ k_end and m ≥ u.m. Global reads run along
// A's stored rows (coalesced). With VEC_A (a_off and M multiples of 4) a vec4 of `a4`
// holds 4 neighbouring m at one k. Reads the including kernel's `a`, `a4`, `u.a_off`,
// `u.m`, `tile_a`, WX, WY, BK and VEC_A.
fn load_a_km(m0: u32, k0: u32, k_end: u32, lin: u32) {
  let threads = WX * WY;
  let bm = 4u * WY;
  if (VEC_A) {
    for (var i = lin; i < BK * WY; i += threads) {
      let kk = i / WY;
      let q = i % WY;
      let k = k0 + kk;
      let m = m0 + 4u * q;
      var v = vec4<f32>(0.0);
      if (k < k_end && m < u.m) { v = a4[(u.a_off + k * u.m + m) / 4u]; }
      tile_a[kk * WY + q] = v;
    }
  } else {
    for (var i = lin; i < bm * BK; i += threads) {
      let kk = i / bm;
      let r = i % bm;
      let k = k0 + kk;
      let m = m0 + r;
      var v = 0.0;
      if (k < k_end && m < u.m) { v = a[u.a_off + k * u.m + m]; }
      tile_a[kk * WY + r / 4u][r % 4u] = v;
    }
  }
}
