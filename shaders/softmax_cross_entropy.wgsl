// Fused softmax + cross-entropy + dlogits:
//   loss[r]    = logsumexp(logits[r]) - logits[r, target[r]]
//   dlogits[r] = (softmax(logits[r]) - onehot(target[r])) * scale   (in place over logits)
// N positions, V vocabulary. Per-position losses are kept: the page's
// per-character analysis and the mean loss both read them.
//
// Two entry points over the same bindings:
//   `main`    one workgroup of 64 per position, tree reductions in workgroup memory
//             (17 barriers a row): for a large vocabulary.
//   `per_row` one thread per position, three plain loops over its row and no barrier
//             at all: for a small vocabulary (V ≤ a few hundred, as for a single text),
//             where a row is too short to share out and barriers are what software
//             adapters are slowest at (SwiftShader runs each one as a fiber switch).

struct Uniforms {
  n: u32,
  v: u32,
  logits_off: u32,
  write_grad: u32,  // 0: losses only (evaluation)
  scale: f32,       // usually 1/N for a mean loss
  loss_off: u32,
  target_off: u32,
}

@group(0) @binding(0) var<uniform> u: Uniforms;
@group(0) @binding(1) var<storage, read> targets: array<i32>;
@group(0) @binding(2) var<storage, read_write> logits: array<f32>;  // (N, V)
@group(0) @binding(3) var<storage, read_write> losses: array<f32>;  // (N)

const WG: u32 = 64u;
var<workgroup> red: array<f32, 64>;

fn reduce_max(x: f32, li: u32) -> f32 {
  red[li] = x;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s >>= 1u) {
    if (li < s) { red[li] = max(red[li], red[li + s]); }
    workgroupBarrier();
  }
  let r = red[0];
  workgroupBarrier();
  return r;
}

fn reduce_sum(x: f32, li: u32) -> f32 {
  red[li] = x;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s >>= 1u) {
    if (li < s) { red[li] = red[li] + red[li + s]; }
    workgroupBarrier();
  }
  let r = red[0];
  workgroupBarrier();
  return r;
}

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let row = wg.x + wg.y * 65535u;
  if (row >= u.n) { return; }  // uniform across the workgroup
  let base = u.logits_off + row * u.v;
  var m = -3.4e38;
  for (var k = li; k < u.v; k += WG) { m = max(m, logits[base + k]); }
  m = reduce_max(m, li);
  var s = 0.0;
  for (var k = li; k < u.v; k += WG) { s += exp(logits[base + k] - m); }
  s = reduce_sum(s, li);
  let tgt = u32(targets[u.target_off + row]);
  if (li == 0u) {
    losses[u.loss_off + row] = log(s) + m - logits[base + tgt];
  }
  // Every thread has read what it needs before anyone overwrites logits.
  workgroupBarrier();
  if (u.write_grad != 0u) {
    for (var k = li; k < u.v; k += WG) {
      var p = exp(logits[base + k] - m) / s;
      if (k == tgt) { p -= 1.0; }
      logits[base + k] = p * u.scale;
    }
  }
}

// One thread per position: max, sum of exponentials, then loss and dlogits, each a
// loop over the row. Workgroups of WG positions, spread over x and y like `main`.
@compute @workgroup_size(WG)
fn per_row(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let row = gid.x + gid.y * nwg.x * WG;
  if (row >= u.n) { return; }
  let base = u.logits_off + row * u.v;
  var m = -3.4e38;
  for (var k = 0u; k < u.v; k++) { m = max(m, logits[base + k]); }
  var s = 0.0;
  for (var k = 0u; k < u.v; k++) { s += exp(logits[base + k] - m); }
  let tgt = u32(targets[u.target_off + row]);
  losses[u.loss_off + row] = log(s) + m - logits[base + tgt];
  if (u.write_grad != 0u) {
    let inv = u.scale / s;
    for (var k = 0u; k < u.v; k++) {
      var g = exp(logits[base + k] - m) * inv;
      if (k == tgt) { g -= u.scale; }
      logits[base + k] = g;
    }
  }
}
