// Global gradient norm and clip factor, in two dispatches:
//   partial:  P workgroups × 128 threads; each thread sums g² over a grid-stride
//             slice into partials[thread] (no barrier)
//   finalize: one workgroup sums the P·128 partials → clip[0] = ‖g‖, clip[1] = scale,
//             scale = max_norm / (‖g‖ + 1e-6) when that is < 1, else 1 (PyTorch's rule).
// Adam reads clip[1]; nothing returns to the CPU inside a step.

struct Uniforms {
  n: u32,          // floats in the flat gradient buffer
  parts: u32,      // P
  max_norm: f32,   // 0 disables clipping
}

@group(0) @binding(0) var<uniform> u: Uniforms;
@group(0) @binding(1) var<storage, read> grads: array<f32>;
@group(0) @binding(2) var<storage, read_write> partials: array<f32>;  // (P·128)
@group(0) @binding(3) var<storage, read_write> clip: array<f32>;      // (2)

const WG: u32 = 128u;  // SwiftShader under Dawn for Node fails with 256 and barriers
var<workgroup> red: array<f32, 128>;

@compute @workgroup_size(128)
fn partial(@builtin(global_invocation_id) gid: vec3<u32>) {
  var acc = 0.0;
  for (var i = gid.x; i < u.n; i += u.parts * WG) {
    let g = grads[i];
    acc = fma(g, g, acc);
  }
  partials[gid.x] = acc;
}

@compute @workgroup_size(128)
fn finalize(@builtin(local_invocation_index) li: u32) {
  var acc = 0.0;
  for (var i = li; i < u.parts * WG; i += WG) { acc += partials[i]; }
  red[li] = acc;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s >>= 1u) {
    if (li < s) { red[li] += red[li + s]; }
    workgroupBarrier();
  }
  if (li == 0u) {
    let norm = sqrt(red[0]);
    var scale = 1.0;
    if (u.max_norm > 0.0) {
      let c = u.max_norm / (norm + 1e-6);
      if (c < 1.0) { scale = c; }
    }
    clip[0] = norm;
    clip[1] = scale;
  }
}
