// out (C, R) = inᵀ for an (R, C) matrix in the flat parameter buffer, through
// 16×16 workgroup tiles so that both the reads and the writes are coalesced.
// Used once per step per layer to give the forward LSTM step W_hhᵀ.

struct Uniforms {
  rows: u32,
  cols: u32,
  in_off: u32,
}

@group(0) @binding(0) var<uniform> u: Uniforms;
@group(0) @binding(1) var<storage, read> src: array<f32>;
@group(0) @binding(2) var<storage, read_write> dst: array<f32>;

var<workgroup> tile: array<f32, 272>;  // 16 × 17, padded against bank conflicts

// 16×8 threads, two rows each (128 invocations: SwiftShader under Dawn for Node
// fails with 256 and barriers).
@compute @workgroup_size(16, 8)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  for (var s = 0u; s < 2u; s++) {
    let ly = lid.y + s * 8u;
    let r = wg.y * 16u + ly;
    let c = wg.x * 16u + lid.x;
    if (r < u.rows && c < u.cols) { tile[ly * 17u + lid.x] = src[u.in_off + r * u.cols + c]; }
  }
  workgroupBarrier();
  for (var s = 0u; s < 2u; s++) {
    let ly = lid.y + s * 8u;
    let orow = wg.x * 16u + ly;      // a column of the input
    let ocol = wg.y * 16u + lid.x;   // a row of the input
    if (orow < u.cols && ocol < u.rows) { dst[orow * u.rows + ocol] = tile[lid.x * 17u + ly]; }
  }
}
