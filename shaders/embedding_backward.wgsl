// Embedding gradient without float atomics: each thread owns one (v, e) element
// and sums dX over the positions whose token is v, listed by a CSR index built on
// the CPU (row_start[v]..row_start[v+1] index into positions).
// V vocabulary, E width, N positions.

struct Uniforms {
  v: u32,
  e: u32,
  dx_off: u32,    // offset of dX (N, E)
  grad_off: u32,  // offset of d embed.weight (V, E) in grads
}

@group(0) @binding(0) var<uniform> u: Uniforms;
@group(0) @binding(1) var<storage, read> dx: array<f32>;
@group(0) @binding(2) var<storage, read> row_start: array<u32>;  // (V + 1)
@group(0) @binding(3) var<storage, read> positions: array<u32>;  // (N), grouped by token
@group(0) @binding(4) var<storage, read_write> grads: array<f32>;

override WG: u32 = 256;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * WG;  // groups1d spreads past 65535 workgroups over y
  if (i >= u.v * u.e) { return; }
  let row = i / u.e;
  let c = i % u.e;
  var acc = 0.0;
  for (var k = row_start[row]; k < row_start[row + 1u]; k++) {
    acc += dx[u.dx_off + positions[k] * u.e + c];
  }
  grads[u.grad_off + i] = acc;
}
