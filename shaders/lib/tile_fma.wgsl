// One BK-deep slab of a tiled GEMM (matmul_tiled.wgsl, weight_grad.wgsl): the thread's
// 4×4 register block of C — acc[i][j] at tile row 4·ty + i, tile column 4·tx + j — gains
// the slab's product, 16 FMAs per k for two workgroup loads. Reads the including kernel's
// `tile_a` ([k][m/4]), `tile_b` ([k][n/4]), WX, WY and BK.
fn fma_slab(acc: ptr<function, array<vec4<f32>, 4>>, ty: u32, tx: u32) {
  for (var kk = 0u; kk < BK; kk++) {
    let av = tile_a[kk * WY + ty];
    let bv = tile_b[kk * WX + tx];
    (*acc)[0] = fma(vec4<f32>(av.x), bv, (*acc)[0]);
    (*acc)[1] = fma(vec4<f32>(av.y), bv, (*acc)[1]);
    (*acc)[2] = fma(vec4<f32>(av.z), bv, (*acc)[2]);
    (*acc)[3] = fma(vec4<f32>(av.w), bv, (*acc)[3]);
  }
}
