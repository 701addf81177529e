// Fused LSTM step backward, one timestep t of one layer (run for t = T-1 … 0):
//   dh   = dh_above[t] + dz[t+1]·W_hh          (the recurrent term; none at t = T-1)
//   tc   = tanh(c_t);  do = dh⊙tc;  dc = dc_carry + dh⊙o⊙(1 - tc²)   (dc_carry read as 0 at t = T-1)
//   di = dc⊙g;  dg = dc⊙i;  df = dc⊙c_{t-1};  dc_carry ← dc⊙f
//   dz = [di·i(1-i), df·f(1-f), dg·(1-g²), do·o(1-o)]
// Computing dh_t from dz[t+1] here (rather than dh_{t-1} from dz[t]) fuses the
// recurrent product and the gate gradients into one dispatch per timestep:
// dz[t+1] is complete before this dispatch starts.
// Each thread owns hidden unit j for BB streams; dz[t+1] is staged through
// workgroup memory. W_hh (4H, H) is read in PyTorch layout: neighbouring threads
// (neighbouring j) read neighbouring addresses.

struct Uniforms {
  b: u32,            // B
  h: u32,            // H
  dh_off: u32,       // dh_above[t] (B, H)
  dz_next_off: u32,  // dz[t+1] (B, 4H)
  dz_off: u32,       // dz[t] (B, 4H)
  has_next: u32,     // 0 at t = T-1
  whh_off: u32,      // W_hh (4H, H) in params
  gates_off: u32,    // gates[t] (B, 4H)
  c_prev_off: u32,   // c_{t-1} (B, H) in cs
  c_off: u32,        // c_t (B, H) in cs
}

@group(0) @binding(0) var<uniform> u: Uniforms;
@group(0) @binding(1) var<storage, read> dh_above: array<f32>;
@group(0) @binding(2) var<storage, read> params: array<f32>;
@group(0) @binding(3) var<storage, read> gates: array<f32>;
@group(0) @binding(4) var<storage, read> cs: array<f32>;
@group(0) @binding(5) var<storage, read_write> dz: array<f32>;
@group(0) @binding(6) var<storage, read_write> dc_carry: array<f32>;  // (B, H)

const WG: u32 = 64u;
const BB: u32 = 4u;
const RT: u32 = 256u;

var<workgroup> dz_tile: array<f32, 1024>;  // (BB, RT)

// #include activations

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let j = wg.x * WG + lid.x;
  let b0 = wg.y * BB;
  let H = u.h;
  let H4 = 4u * H;
  var dh: array<f32, 4>;
  for (var s = 0u; s < BB; s++) { dh[s] = 0.0; }

  if (u.has_next != 0u) {
    for (var r0 = 0u; r0 < H4; r0 += RT) {
      for (var e = lid.x; e < BB * RT; e += WG) {
        let s = e / RT;
        let r = r0 + e % RT;
        var v = 0.0;
        if (b0 + s < u.b && r < H4) { v = dz[u.dz_next_off + (b0 + s) * H4 + r]; }
        dz_tile[e] = v;
      }
      workgroupBarrier();
      if (j < H) {
        let rn = min(RT, H4 - r0);
        for (var rr = 0u; rr < rn; rr++) {
          let w = params[u.whh_off + (r0 + rr) * H + j];
          for (var s = 0u; s < BB; s++) { dh[s] = fma(dz_tile[s * RT + rr], w, dh[s]); }
        }
      }
      workgroupBarrier();
    }
  }

  if (j >= H) { return; }
  for (var s = 0u; s < BB; s++) {
    let b = b0 + s;
    if (b >= u.b) { break; }
    let gb = u.gates_off + b * H4;
    let ig = gates[gb + j];
    let fg = gates[gb + H + j];
    let gg = gates[gb + 2u * H + j];
    let og = gates[gb + 3u * H + j];
    let hj = b * H + j;
    let tc = tanh_stable(cs[u.c_off + hj]);
    let dht = dh[s] + dh_above[u.dh_off + hj];
    // At t = T-1 nothing flows in from t+1, whatever dc_carry holds.
    let carry = select(0.0, dc_carry[hj], u.has_next != 0u);
    let dc = carry + dht * og * (1.0 - tc * tc);
    dc_carry[hj] = dc * fg;
    let zb = u.dz_off + b * H4;
    dz[zb + j] = dc * gg * ig * (1.0 - ig);
    dz[zb + H + j] = dc * cs[u.c_prev_off + hj] * fg * (1.0 - fg);
    dz[zb + 2u * H + j] = dc * ig * (1.0 - gg * gg);
    dz[zb + 3u * H + j] = dht * tc * og * (1.0 - og);
  }
}
