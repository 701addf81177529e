// out (C, R) = inᵀ for an (R, C) matrix in the flat parameter buffer, written at out_off.
// Used once per step per layer to give the forward LSTM step W_hhᵀ, so that its
// hot loop reads neighbouring addresses from neighbouring threads. The transpose
// itself is a small fraction of a step; it reads coalesced and writes strided,
// with no workgroup barrier (barriers are costly on software GPUs).

struct Uniforms {
  rows: u32,
  cols: u32,
  in_off: u32,
  out_off: u32,
}

@group(0) @binding(0) var<uniform> u: Uniforms;
@group(0) @binding(1) var<storage, read> src: array<f32>;
@group(0) @binding(2) var<storage, read_write> dst: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * 256u;
  if (i >= u.rows * u.cols) { return; }
  let r = i / u.cols;
  let c = i % u.cols;
  dst[u.out_off + c * u.rows + r] = src[u.in_off + i];
}
