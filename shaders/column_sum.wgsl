// Bias gradient: out[c] = Σ_r a[r, c] over R rows of an (R, N) matrix, written to
// one or two places (the LSTM's b_ih and b_hh receive the same gradient).

struct Uniforms {
  r: u32,
  n: u32,
  a_off: u32,
  out_off: u32,
  out2_off: u32,
  two_outputs: u32,
}

@group(0) @binding(0) var<uniform> u: Uniforms;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let c = gid.x;
  if (c >= u.n) { return; }
  var acc = 0.0;
  for (var r = 0u; r < u.r; r++) { acc += a[u.a_off + r * u.n + c]; }
  out[u.out_off + c] = acc;
  if (u.two_outputs != 0u) { out[u.out2_off + c] = acc; }
}
