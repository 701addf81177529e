// A block of a generation in one dispatch: one workgroup per row (one row per
// temperature) loops over the block's characters and, for each, runs the whole model
// on the row's current character and draws the next one:
//   x = embed[tok]
//   per layer l: z = W_ih·x + b_ih + W_hh·h_{l} + b_hh; i, f, o = σ, g = tanh;
//                c_l = f⊙c_l + i⊙g; h_l = o⊙tanh(c_l); x = h_l
//   logits = W_out·x + b_out
//   p = softmax(logits / τ); keep the top-k by probability (ties: lower index first)
//   and the smallest prefix (in that order) whose mass before each kept item is < top-p;
//   walk the kept items in index order until the running mass exceeds u · total.
// τ ≤ 0 means argmax of the logits (lowest index on ties). u = rand[k, row] comes from
// the CPU's seeded generator, so the same seed gives the same text on every backend
// (the CPU reference draws the same way). While the prime is being read, forced[k] ≥ 0
// is the next character instead. k is the row's step counter, carried in `cursor`.
//
// Why one dispatch: the per-character alternative (sample_forward and the GEMM and
// step kernels around it) is 2L + 3 tiny dispatches a character, each a launch and a
// pass over memory for a few rows. Rows are independent, so a workgroup can carry its
// row through the block with workgroup barriers only (L + 4 per character, none of them
// in reductions: the softmax's max and sum are read serially by every thread from
// workgroup memory, in the same order, so all threads agree bit for bit).
//
// Weights are read from `w`, a copy the host packs once per generation, transposed so
// that neighbouring threads (neighbouring units j or vocabulary entries v) read
// neighbouring addresses; blocks at w_base[l] for layer l and w_base[L] for the head:
//   layer l: W_ihᵀ (I, 4H) | W_hhᵀ (H, 4H) | b_ih (4H) | b_hh (4H)     (I = E for l = 0, else H)
//   head:    W_outᵀ (H, V) | b_out (V) | embed (V, E)
// The state h, c of every layer lives in workgroup memory during the block and in
// `state` (2, L, R, H) between blocks. h is double-buffered per layer (read half s%2,
// write the other), c is only touched by the thread that owns its unit.
// Workgroup memory: 3·L·H + 2·V floats (the host checks it against the adapter's limit).
// R rows, V vocabulary, E embedding width, H hidden size, L layers.

struct Uniforms {
  rows: u32,    // R
  e: u32,       // E
  steps: u32,   // characters drawn per row in this block
}

@group(0) @binding(0) var<uniform> u: Uniforms;
@group(0) @binding(1) var<storage, read> w: array<f32>;                 // packed weights, see above
@group(0) @binding(2) var<storage, read> w_base: array<u32>;            // (L + 1) block offsets in w
@group(0) @binding(3) var<storage, read> settings: array<RowSettings>;  // (R)
@group(0) @binding(4) var<storage, read> rand: array<f32>;              // (steps, R)
@group(0) @binding(5) var<storage, read> forced: array<i32>;            // (steps)
@group(0) @binding(6) var<storage, read_write> cursor: array<u32>;      // (R, 2): step k, next input token
@group(0) @binding(7) var<storage, read_write> out_seq: array<i32>;     // (steps, R)
@group(0) @binding(8) var<storage, read_write> state: array<f32>;       // (2, L, R, H): h, then c

override V: u32;   // vocabulary
override H: u32;   // hidden size
override L: u32;   // layers
override WG: u32;  // threads per workgroup

var<workgroup> h_buf: array<f32, 2u * L * H>;  // (L, 2, H)
var<workgroup> c_buf: array<f32, L * H>;       // (L, H)
var<workgroup> p: array<f32, V>;               // scaled logits, then probabilities
var<workgroup> q: array<f32, V>;               // kept probabilities
var<workgroup> tok_shared: u32;

// #include activations
// #include categorical

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let row = wg.x;
  let R = u.rows;
  let E = u.e;
  let H4 = 4u * H;
  let st = settings[row];
  let inv_t = select(1.0, 1.0 / st.temperature, st.temperature > 0.0);
  let head = w_base[L];
  let embed = head + H * V + V;

  for (var i = li; i < L * H; i += WG) {
    let l = i / H;
    let j = i % H;
    let g = (l * R + row) * H + j;
    h_buf[l * 2u * H + j] = state[g];
    c_buf[i] = state[L * R * H + g];
  }
  if (li == 0u) { tok_shared = cursor[row * 2u + 1u]; }
  let k0 = cursor[row * 2u];
  var tok = workgroupUniformLoad(&tok_shared);  // (a barrier: the state above is in place too)

  for (var s = 0u; s < u.steps; s++) {
    let k = k0 + s;
    let cur = s & 1u;  // half of h_buf holding h before this character
    for (var l = 0u; l < L; l++) {
      let base = w_base[l];
      let I = select(H, E, l == 0u);
      let wih = base;
      let whh = base + I * H4;
      let bias = whh + H * H4;
      let hprev = l * 2u * H + cur * H;
      let hnew = l * 2u * H + (1u - cur) * H;
      let below = (l - 1u) * 2u * H + (1u - cur) * H;  // h of layer l-1 at this character (l > 0)
      for (var j = li; j < H; j += WG) {
        var z = vec4<f32>(
          w[bias + j] + w[bias + H4 + j],
          w[bias + H + j] + w[bias + H4 + H + j],
          w[bias + 2u * H + j] + w[bias + H4 + 2u * H + j],
          w[bias + 3u * H + j] + w[bias + H4 + 3u * H + j],
        );
        for (var i = 0u; i < I; i++) {
          var x: f32;
          if (l == 0u) { x = w[embed + tok * E + i]; } else { x = h_buf[below + i]; }
          let r = wih + i * H4 + j;
          z += x * vec4<f32>(w[r], w[r + H], w[r + 2u * H], w[r + 3u * H]);
        }
        for (var i = 0u; i < H; i++) {
          let r = whh + i * H4 + j;
          z += h_buf[hprev + i] * vec4<f32>(w[r], w[r + H], w[r + 2u * H], w[r + 3u * H]);
        }
        let c = sigmoid(z.y) * c_buf[l * H + j] + sigmoid(z.x) * tanh_stable(z.z);
        c_buf[l * H + j] = c;
        h_buf[hnew + j] = sigmoid(z.w) * tanh_stable(c);
      }
      workgroupBarrier();
    }

    // Head: p[v] = (W_out·h + b_out)[v] / τ.
    let top = (L - 1u) * 2u * H + (1u - cur) * H;
    for (var v = li; v < V; v += WG) {
      var acc = w[head + H * V + v];
      for (var j = 0u; j < H; j++) { acc += h_buf[top + j] * w[head + j * V + v]; }
      p[v] = acc * inv_t;
    }
    workgroupBarrier();

    // Softmax: every thread reads the max, then the sum, serially in index order.
    var mx = -3.4e38;
    for (var i = 0u; i < V; i++) { mx = max(mx, p[i]); }
    var best = 0u;
    if (st.temperature <= 0.0 && li == 0u) {
      for (var i = 1u; i < V; i++) { if (p[i] > p[best]) { best = i; } }
    }
    workgroupBarrier();  // everyone has read the logits before they become probabilities
    for (var i = li; i < V; i += WG) { p[i] = exp(p[i] - mx); }
    workgroupBarrier();
    var sum = 0.0;
    for (var i = 0u; i < V; i++) { sum += p[i]; }
    let inv_sum = 1.0 / sum;

    // Truncation: the kept probabilities, on p / sum.
    for (var i = li; i < V; i += WG) { q[i] = kept_prob(i, V, st, inv_sum); }
    workgroupBarrier();

    if (li == 0u) {
      var next = -1;
      let f = forced[k];
      if (f >= 0) {
        next = f;
      } else if (st.temperature <= 0.0) {
        next = i32(best);
      } else {
        next = draw_kept(V, rand[k * R + row]);
      }
      out_seq[k * R + row] = next;
      tok_shared = u32(next);
    }
    tok = workgroupUniformLoad(&tok_shared);
  }

  // The state after the block: h from the half the last character wrote.
  let fin = u.steps & 1u;
  for (var i = li; i < L * H; i += WG) {
    let l = i / H;
    let j = i % H;
    let g = (l * R + row) * H + j;
    state[g] = h_buf[l * 2u * H + fin * H + j];
    state[L * R * H + g] = c_buf[i];
  }
  if (li == 0u) {
    cursor[row * 2u] = k0 + u.steps;
    cursor[row * 2u + 1u] = tok;
  }
}
