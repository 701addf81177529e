// Draws the next character of each row of a generation, one workgroup per row
// (one row per temperature). With temperature τ:
//   p = softmax(logits / τ); keep the top-k by probability (ties: lower index first)
//   and the smallest prefix (in that order) whose mass before each kept item is < top-p;
//   walk the kept items in index order until the running mass exceeds u · total.
// τ ≤ 0 means argmax. The uniform u comes from the CPU's seeded generator, so the
// same seed gives the same text on every backend (the CPU reference does the same).
// While the prime is being read, forced[k] ≥ 0 is the next character instead.
// R rows, V vocabulary (≤ MAXV), k = this row's step counter.

struct Uniforms {
  v: u32,
  rows: u32,
  logits_off: u32,
}

@group(0) @binding(0) var<uniform> u: Uniforms;
@group(0) @binding(1) var<storage, read> logits: array<f32>;        // (R, V)
@group(0) @binding(2) var<storage, read> settings: array<RowSettings>;  // (R)
@group(0) @binding(3) var<storage, read> rand: array<f32>;          // (steps, R)
@group(0) @binding(4) var<storage, read> forced: array<i32>;        // (steps)
@group(0) @binding(5) var<storage, read_write> counter: array<u32>; // (R) step of each row
@group(0) @binding(6) var<storage, read_write> tokens: array<i32>;  // (R) next input
@group(0) @binding(7) var<storage, read_write> out_seq: array<i32>; // (steps, R)

const WG: u32 = 128u;  // SwiftShader under Dawn for Node fails with 256 and barriers
const MAXV: u32 = 1024u;

var<workgroup> p: array<f32, 1024>;
var<workgroup> q: array<f32, 1024>;
var<workgroup> red: array<f32, 128>;
var<workgroup> step_shared: u32;

// #include categorical

@compute @workgroup_size(128)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let row = wg.x;
  let V = u.v;
  let st = settings[row];
  let base = u.logits_off + row * V;
  if (li == 0u) { step_shared = counter[row]; }
  let k = workgroupUniformLoad(&step_shared);

  // Softmax at temperature τ (τ ≤ 0: plain logits, used only for argmax).
  let inv_t = select(1.0, 1.0 / st.temperature, st.temperature > 0.0);
  var mx = -3.4e38;
  for (var i = li; i < V; i += WG) { p[i] = logits[base + i] * inv_t; mx = max(mx, p[i]); }
  red[li] = mx;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s >>= 1u) {
    if (li < s) { red[li] = max(red[li], red[li + s]); }
    workgroupBarrier();
  }
  mx = red[0];
  workgroupBarrier();
  var sum = 0.0;
  for (var i = li; i < V; i += WG) { let e = exp(p[i] - mx); p[i] = e; sum += e; }
  red[li] = sum;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s >>= 1u) {
    if (li < s) { red[li] += red[li + s]; }
    workgroupBarrier();
  }
  sum = red[0];
  workgroupBarrier();
  for (var i = li; i < V; i += WG) { p[i] = p[i] / sum; }
  workgroupBarrier();

  // Truncation: the kept probabilities (p is normalised).
  for (var i = li; i < V; i += WG) { q[i] = kept_prob(i, V, st, 1.0); }
  workgroupBarrier();

  if (li == 0u) {
    var tok = -1;
    let f = forced[k];
    if (f >= 0) {
      tok = f;
    } else if (st.temperature <= 0.0) {
      var best = 0u;
      for (var i = 1u; i < V; i++) { if (p[i] > p[best]) { best = i; } }
      tok = i32(best);
    } else {
      tok = draw_kept(V, rand[k * u.rows + row]);
    }
    tokens[row] = tok;
    out_seq[k * u.rows + row] = tok;
    counter[row] = k + 1u;
  }
}
