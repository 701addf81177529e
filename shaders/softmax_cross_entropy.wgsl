// Fused softmax + cross-entropy + dlogits, one workgroup per position:
//   loss[r]    = logsumexp(logits[r]) - logits[r, target[r]]
//   dlogits[r] = (softmax(logits[r]) - onehot(target[r])) * scale   (in place over logits)
// N positions, V vocabulary. Per-position losses are kept: the page's
// per-character analysis and the mean loss both read them.

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
