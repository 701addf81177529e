// Fused Adam over the one flat parameter buffer (PyTorch's update, bias-corrected):
//   g = grad · clip_scale;  m = β1 m + (1-β1) g;  v = β2 v + (1-β2) g²
//   p -= (lr / bc1) · m / (sqrt(v) / sqrt(bc2) + ε),   bc1 = 1-β1^t, bc2 = 1-β2^t
// bc1 and bc2 are computed on the CPU in float64 and passed in.

struct Uniforms {
  n: u32,
  lr: f32,
  beta1: f32,
  beta2: f32,
  eps: f32,
  bc1: f32,
  sqrt_bc2: f32,
}

@group(0) @binding(0) var<uniform> u: Uniforms;
@group(0) @binding(1) var<storage, read> grads: array<f32>;
@group(0) @binding(2) var<storage, read> clip: array<f32>;  // [norm, scale]
@group(0) @binding(3) var<storage, read_write> params: array<f32>;
@group(0) @binding(4) var<storage, read_write> m: array<f32>;
@group(0) @binding(5) var<storage, read_write> v: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * 256u;
  if (i >= u.n) { return; }
  let g = grads[i] * clip[1];
  let mi = u.beta1 * m[i] + (1.0 - u.beta1) * g;
  let vi = u.beta2 * v[i] + (1.0 - u.beta2) * g * g;
  m[i] = mi;
  v[i] = vi;
  params[i] -= (u.lr / u.bc1) * mi / (sqrt(vi) / u.sqrt_bc2 + u.eps);
}
