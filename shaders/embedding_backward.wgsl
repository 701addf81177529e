// Embedding gradient without float atomics, balanced over the positions:
//   d embed[v, :] = Σ dX[r, :] over the positions r whose token is v.
// The CPU lists the positions grouped by token and cuts each token's list into
// segments of at most a fixed length (embeddingGradIndex), so that no thread runs
// a long serial loop: one token (the space) may own a fifth of all positions.
//   `segments`  thread (s, e): partials[s, e] = Σ dX[positions[k], e], k in segment s
//   `rows`      thread (v, e): grads[v, e]   = Σ partials[s, e], s in token v's segments
// Both sums run in a fixed order, so the result does not depend on scheduling.
// V vocabulary, E width, N positions, S segments (≤ S_MAX; the tail of seg_start
// repeats N, so the threads of unused segments sum nothing).
// Reads of dX and partials are coalesced: neighbouring threads take neighbouring e.

struct Uniforms {
  v: u32,
  e: u32,
  dx_off: u32,     // offset of dX (N, E)
  grad_off: u32,   // offset of d embed.weight (V, E) in grads
  s_max: u32,      // segments the partials buffer holds
}

@group(0) @binding(0) var<uniform> u: Uniforms;
@group(0) @binding(1) var<storage, read> dx: array<f32>;
@group(0) @binding(2) var<storage, read> positions: array<u32>;      // (N), grouped by token
@group(0) @binding(3) var<storage, read> seg_start: array<u32>;      // (S_MAX + 1) into positions
@group(0) @binding(4) var<storage, read> row_seg_start: array<u32>;  // (V + 1) into segments
@group(0) @binding(5) var<storage, read_write> partials: array<f32>; // (S_MAX, E)
@group(0) @binding(6) var<storage, read_write> grads: array<f32>;

override WG: u32 = 256;

@compute @workgroup_size(WG)
fn segments(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * WG;  // groups1d spreads past 65535 workgroups over y
  if (i >= u.s_max * u.e) { return; }
  let s = i / u.e;
  let c = i % u.e;
  var acc = 0.0;
  for (var k = seg_start[s]; k < seg_start[s + 1u]; k++) {
    acc += dx[u.dx_off + positions[k] * u.e + c];
  }
  partials[i] = acc;
}

@compute @workgroup_size(WG)
fn rows(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= u.v * u.e) { return; }
  let row = i / u.e;
  let c = i % u.e;
  var acc = 0.0;
  for (var s = row_seg_start[row]; s < row_seg_start[row + 1u]; s++) {
    acc += partials[s * u.e + c];
  }
  grads[u.grad_off + i] = acc;
}
