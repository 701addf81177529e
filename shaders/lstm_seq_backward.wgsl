// Persistent LSTM backward of one layer over a whole window (truncated BPTT), all T
// timesteps in one dispatch, for t = T-1 … 0:
//   dh   = dh_above[t] + W_hhᵀ·dz[t+1]      (no recurrent term at t = T-1)
//   tc   = tanh(c_t);  dc = dc_carry + dh⊙o⊙(1 - tc²)   (dc_carry = 0 at t = T-1)
//   dz[t] = [dc⊙g⊙i(1-i), dc⊙c_{t-1}⊙f(1-f), dc⊙i⊙(1-g²), dh⊙tc⊙o(1-o)];  dc_carry ← dc⊙f
// dz (the gate pre-activation gradients of every timestep) is the output: dW_ih, dW_hh,
// the biases and dX stay GEMMs over all timesteps.
// Streams are independent, so a workgroup owns SB of them and carries dz[t+1] and
// dc_carry through the window: only workgroup barriers, one dispatch per layer.
// Each timestep has two phases, a barrier after each:
//  1. the recurrent product W_hhᵀ·dz[t+1], parallel over P·H threads: thread r = p·H + j
//     sums part p (⌈H/P⌉ units k) of the k range for unit j,
//       part[p][s][j] = Σ_k Σ_q dz[t+1][s][qH+k]·W_hh[qH+k][j]   (q over the 4 gates: a vec4 dot),
//     for its SB streams in registers, so every W_hh value it loads serves all of them
//     and its serial chain is ⌈H/P⌉ vec4 dots long. W_hh (4H, H) is read in PyTorch
//     layout: neighbouring threads (neighbouring j) read neighbouring addresses.
//     P (1, 2 or 4) is chosen by the host so that P·H threads fit a workgroup: more
//     parts than threads would only add partial sums.
//  2. the pointwise part, thread per unit j: dh = dh_above + Σ_p part[p][s][j], then
//     dz[t] into dz and into workgroup memory (one vec4 per unit and stream, for phase 1
//     of t-1: whole-vector writes, as threads must not share a vector). dc_carry of unit
//     j is only ever touched by the thread that owns j.
// Where dz[t+1] (4H floats a stream) does not fit the workgroup memory (H 683 and up on
// WebGPU's default 16 KiB), DZ_WG is false: phase 1 reads dz[t+1] back from the dz output,
// which this workgroup wrote one timestep earlier (storageBarrier() makes those writes
// visible to the whole workgroup: WGSL's memory model, workgroup scope), with one part
// (P = 1: a hidden size that large has more units than a workgroup has threads, so parts
// would add no parallelism), so each thread goes from its unit's sum straight to its
// pointwise part, with no partial sums and no barrier in between.
// Workgroup memory: (4 + P + 1)·SB·H floats with DZ_WG, else SB·H (dc) and 5 stand-in
// floats (the host checks it against the adapter's limit: lstmSeqLayout in src/gpu/kernels.ts).

struct Uniforms {
  t: u32,          // T
  b: u32,          // B
  dh_off: u32,     // dh_above (T, B, H): dL/dh_t from the head or the layer above
  dz_off: u32,     // dz (T, B, 4H), written
  whh_off: u32,    // W_hh (4H, H) in params
  gates_off: u32,  // gates (T, B, 4H): activated i, f, g, o
  cs_off: u32,     // cs (T+1, B, H): c_{t-1} in slot t, c_t in slot t+1
}

@group(0) @binding(0) var<uniform> u: Uniforms;
@group(0) @binding(1) var<storage, read> dh_above: array<f32>;
@group(0) @binding(2) var<storage, read> params: array<f32>;
@group(0) @binding(3) var<storage, read> gates: array<f32>;
@group(0) @binding(4) var<storage, read> cs: array<f32>;
@group(0) @binding(5) var<storage, read_write> dz: array<f32>;

override H: u32;   // hidden size
override SB: u32;  // streams per workgroup, 1 … SB_MAX
override WG: u32;  // threads per workgroup
override P: u32 = 4u;           // parts of the recurrent product's k range: 1, 2 or 4 (1 without DZ_WG)
override DZ_WG: bool = true;    // dz[t+1] in workgroup memory; false: read back from dz

// Register arrays need a constant size: at most SB_MAX streams per workgroup.
const SB_MAX: u32 = 8u;

// The recurrent product splits the k range of each unit into P parts of KP.
override KP: u32 = (H + P - 1u) / P;

var<workgroup> dz_buf: array<vec4<f32>, select(1u, SB * H, DZ_WG)>;  // (SB, H): dz[t+1] of unit k as (i, f, g, o)
var<workgroup> part: array<f32, select(1u, P * SB * H, DZ_WG)>;   // (P, SB, H): W_hhᵀ·dz[t+1], one block per part of the k range
var<workgroup> dc_buf: array<f32, SB * H>;                        // (SB, H): dc_carry

// #include activations

// The pointwise part of unit j of stream b (slot s of the workgroup) at timestep t, given
// rec = (W_hhᵀ·dz[t+1])[j] (0 at t = T-1): writes dz[t] and the dc carry; returns dz[t] of unit j.
fn pointwise(t: u32, b: u32, s: u32, j: u32, rec: f32, has_next: bool) -> vec4<f32> {
  let B = u.b;
  let H4 = 4u * H;
  let hj = (t * B + b) * H + j;
  let dh = dh_above[u.dh_off + hj] + rec;
  var carry = 0.0;
  if (has_next) { carry = dc_buf[s * H + j]; }
  let gb = u.gates_off + (t * B + b) * H4 + j;
  let ig = gates[gb];
  let fg = gates[gb + H];
  let gg = gates[gb + 2u * H];
  let og = gates[gb + 3u * H];
  let c_prev = cs[u.cs_off + hj];
  let tc = tanh_stable(cs[u.cs_off + hj + B * H]);
  let dc = carry + dh * og * (1.0 - tc * tc);
  dc_buf[s * H + j] = dc * fg;
  let d = vec4<f32>(dc * gg * ig * (1.0 - ig), dc * c_prev * fg * (1.0 - fg), dc * ig * (1.0 - gg * gg), dh * tc * og * (1.0 - og));
  let zb = u.dz_off + (t * B + b) * H4 + j;
  dz[zb] = d.x;
  dz[zb + H] = d.y;
  dz[zb + 2u * H] = d.z;
  dz[zb + 3u * H] = d.w;
  return d;
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let B = u.b;
  let H4 = 4u * H;
  let b0 = wg.x * SB;
  let nb = min(SB, B - b0);  // the last group may hold fewer streams; their dz_buf rows stay 0

  for (var i = 0u; i < u.t; i++) {
    let t = u.t - 1u - i;
    let has_next = i > 0u;

    if (DZ_WG) {
      if (has_next) {
        for (var r = lid.x; r < P * H; r += WG) {
          let p = r / H;
          let j = r % H;
          var acc: array<f32, SB_MAX>;  // [stream]
          // Zeroed explicitly: SwiftShader does not re-zero a var declared inside a loop.
          for (var s = 0u; s < SB; s++) { acc[s] = 0.0; }
          let k_end = min(H, (p + 1u) * KP);
          for (var k = p * KP; k < k_end; k++) {
            // Column j of W_hh at rows k, H+k, 2H+k, 3H+k: gates i, f, g, o of unit k.
            let o = u.whh_off + k * H + j;
            let w = vec4<f32>(params[o], params[o + H * H], params[o + 2u * H * H], params[o + 3u * H * H]);
            for (var s = 0u; s < SB; s++) {
              acc[s] += dot(dz_buf[s * H + k], w);
            }
          }
          for (var s = 0u; s < SB; s++) {
            part[(p * SB + s) * H + j] = acc[s];
          }
        }
      }
      workgroupBarrier();

      for (var j = lid.x; j < H; j += WG) {
        for (var s = 0u; s < nb; s++) {
          var rec = 0.0;
          if (has_next) {
            rec = part[s * H + j];
            for (var p = 1u; p < P; p++) { rec += part[(p * SB + s) * H + j]; }
          }
          dz_buf[s * H + j] = pointwise(t, b0 + s, s, j, rec, has_next);
        }
      }
      workgroupBarrier();
    } else {
      // dz[t+1] read back from dz, one part (P = 1): the thread that sums unit j's product
      // also owns its pointwise part, and dz[t] is written beside dz[t+1], not over it, so
      // no barrier separates the two phases and no partial sums are kept.
      for (var j = lid.x; j < H; j += WG) {
        var acc: array<f32, SB_MAX>;  // [stream]
        for (var s = 0u; s < SB; s++) { acc[s] = 0.0; }
        if (has_next) {
          for (var k = 0u; k < H; k++) {
            let o = u.whh_off + k * H + j;
            let w = vec4<f32>(params[o], params[o + H * H], params[o + 2u * H * H], params[o + 3u * H * H]);
            for (var s = 0u; s < SB; s++) {
              // A stream past B (the last group's empty slots) reads stream B-1: in bounds, never used.
              let zb = u.dz_off + ((t + 1u) * B + min(b0 + s, B - 1u)) * H4 + k;
              acc[s] += dot(vec4<f32>(dz[zb], dz[zb + H], dz[zb + 2u * H], dz[zb + 3u * H]), w);
            }
          }
        }
        for (var s = 0u; s < nb; s++) {
          _ = pointwise(t, b0 + s, s, j, acc[s], has_next);
        }
      }
      // The next timestep's threads read the dz[t] just written by others.
      storageBarrier();
    }
  }
}
