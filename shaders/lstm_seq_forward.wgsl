// Persistent LSTM forward of one layer over a whole window, all T timesteps in one dispatch:
//   for t = 0 … T-1:
//     z = zx[t] + h_{t-1}·W_hhᵀ   (zx already holds W_ih·x + b_ih + b_hh, one GEMM for all t)
//     i = σ(z_i), f = σ(z_f), g = tanh_stable(z_g), o = σ(z_o)
//     c_t = f⊙c_{t-1} + i⊙g,  h_t = o⊙tanh_stable(c_t)
// B streams, H hidden units, gate order i, f, g, o (PyTorch).
// Streams are independent, so a workgroup owns SB of them (b0 … b0+SB-1) and carries
// their h and c through the T timesteps in workgroup memory: only workgroup barriers,
// no grid-wide sync, and one dispatch per layer instead of T.
// Each thread owns hidden unit j (and j+WG, … when H > WG) and keeps its 4 gates × SB
// streams in registers, so every W_hh value it loads serves all SB streams of the group;
// h_{t-1} comes from workgroup memory (all threads read the same address: a broadcast).
// h is double-buffered (read half t%2, write the other), so one barrier per timestep is
// enough; c is only ever touched by the thread that owns its unit.
// W_hh is read transposed, whh_t (H, 4H), so that neighbouring threads read neighbouring
// addresses. What backward needs is written in the per-timestep kernels' layout.
// Where h and c (3H floats a stream) do not fit the workgroup memory (H over 1365 on
// WebGPU's default 16 KiB), STATE_WG is false: h_{t-1} is read back from slot t of hs,
// which this workgroup wrote one timestep earlier (storageBarrier() makes those writes
// visible to the whole workgroup), and c_{t-1} from slot t of cs, which only its
// owner thread ever writes.
// Workgroup memory: 3·SB·H floats with STATE_WG, else none (the host checks it against
// the adapter's limit: lstmSeqShape in src/gpu/kernels.ts).

struct Uniforms {
  t: u32,          // T
  b: u32,          // B
  zx_off: u32,     // zx (T, B, 4H)
  hs_off: u32,     // hs (T+1, B, H): slot 0 (carried state) read, slots 1..T written
  cs_off: u32,     // cs (T+1, B, H): likewise
  gates_off: u32,  // gates (T, B, 4H): activated i, f, g, o, written
}

@group(0) @binding(0) var<uniform> u: Uniforms;
@group(0) @binding(1) var<storage, read> zx: array<f32>;
@group(0) @binding(2) var<storage, read> whh_t: array<f32>;  // (H, 4H)
@group(0) @binding(3) var<storage, read_write> hs: array<f32>;
@group(0) @binding(4) var<storage, read_write> cs: array<f32>;
@group(0) @binding(5) var<storage, read_write> gates: array<f32>;

override H: u32;   // hidden size
override SB: u32;  // streams per workgroup, 1 … SB_MAX
override WG: u32;  // threads per workgroup
override STATE_WG: bool = true;  // h and c in workgroup memory; false: read back from hs and cs

// Register arrays need a constant size: at most SB_MAX streams per workgroup.
const SB_MAX: u32 = 8u;

var<workgroup> h_buf: array<f32, select(1u, 2u * SB * H, STATE_WG)>;  // (2, SB, H): h_{t-1} in half t%2
var<workgroup> c_buf: array<f32, select(1u, SB * H, STATE_WG)>;       // (SB, H)

// #include activations

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let B = u.b;
  let H4 = 4u * H;
  let b0 = wg.x * SB;
  let nb = min(SB, B - b0);  // the last group may hold fewer streams; the rest of its slots stay 0

  for (var e = lid.x; e < SB * H && STATE_WG; e += WG) {
    let s = e / H;
    var hv = 0.0;
    var cv = 0.0;
    if (s < nb) {
      let i = (b0 + s) * H + e % H;
      hv = hs[u.hs_off + i];
      cv = cs[u.cs_off + i];
    }
    h_buf[e] = hv;
    c_buf[e] = cv;
  }
  workgroupBarrier();

  for (var t = 0u; t < u.t; t++) {
    let cur = (t & 1u) * SB * H;
    let nxt = SB * H - cur;
    for (var j = lid.x; j < H; j += WG) {
      var acc: array<vec4<f32>, SB_MAX>;  // [stream] (i, f, g, o)
      // Zeroed explicitly: SwiftShader does not re-zero a var declared inside a loop.
      for (var s = 0u; s < SB; s++) { acc[s] = vec4<f32>(0.0); }
      for (var k = 0u; k < H; k++) {
        let w = k * H4 + j;
        let w4 = vec4<f32>(whh_t[w], whh_t[w + H], whh_t[w + 2u * H], whh_t[w + 3u * H]);
        for (var s = 0u; s < SB; s++) {
          if (STATE_WG) {
            acc[s] = fma(vec4<f32>(h_buf[cur + s * H + k]), w4, acc[s]);
          } else {
            // A stream past B (the last group's empty slots) reads stream B-1: in bounds, never used.
            let hv = hs[u.hs_off + (t * B + min(b0 + s, B - 1u)) * H + k];
            acc[s] = fma(vec4<f32>(hv), w4, acc[s]);
          }
        }
      }
      for (var s = 0u; s < nb; s++) {
        let b = b0 + s;
        let zb = u.zx_off + (t * B + b) * H4 + j;
        let z = acc[s] + vec4<f32>(zx[zb], zx[zb + H], zx[zb + 2u * H], zx[zb + 3u * H]);
        let ig = sigmoid(z.x);
        let fg = sigmoid(z.y);
        let gg = tanh_stable(z.z);
        let og = sigmoid(z.w);
        let o = ((t + 1u) * B + b) * H + j;
        var c_prev: f32;
        if (STATE_WG) {
          c_prev = c_buf[s * H + j];
        } else {
          c_prev = cs[u.cs_off + o - B * H];
        }
        let c = fg * c_prev + ig * gg;
        let hv = og * tanh_stable(c);
        if (STATE_WG) {
          c_buf[s * H + j] = c;
          h_buf[nxt + s * H + j] = hv;
        }
        hs[u.hs_off + o] = hv;
        cs[u.cs_off + o] = c;
        let gb = u.gates_off + (t * B + b) * H4 + j;
        gates[gb] = ig;
        gates[gb + H] = fg;
        gates[gb + 2u * H] = gg;
        gates[gb + 3u * H] = og;
      }
    }
    workgroupBarrier();
    // Without STATE_WG, the next timestep reads the h_t just written by other threads.
    if (!STATE_WG) { storageBarrier(); }
  }
}
