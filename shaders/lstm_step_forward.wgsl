// Fused LSTM step, one timestep of one layer:
//   z = zx + h_prev·W_hhᵀ   (zx already holds W_ih·x + b_ih + b_hh)
//   i = σ(z_i), f = σ(z_f), g = tanh_stable(z_g), o = σ(z_o)
//   c = f⊙c_prev + i⊙g,  h = o⊙tanh_stable(c)
// B streams, H hidden units, gate order i, f, g, o (PyTorch).
// Each thread owns hidden unit j for BB streams and keeps 4 gates × BB streams
// of accumulators in registers, so every weight it loads is used BB times.
// h_prev is staged through workgroup memory in tiles of KT units.
// W_hh is read transposed, whh_t (H, 4H), so that neighbouring threads read
// neighbouring addresses.

struct Uniforms {
  b: u32,           // B
  h: u32,           // H
  zx_off: u32,      // zx (B, 4H)
  h_prev_off: u32,  // h_prev (B, H) in hs
  h_off: u32,       // h (B, H) in hs
  c_prev_off: u32,  // c_prev (B, H) in cs
  c_off: u32,       // c (B, H) in cs
  gates_off: u32,   // activated gates (B, 4H)
}

@group(0) @binding(0) var<uniform> u: Uniforms;
@group(0) @binding(1) var<storage, read> zx: array<f32>;
@group(0) @binding(2) var<storage, read> whh_t: array<f32>;  // (H, 4H)
@group(0) @binding(3) var<storage, read_write> hs: array<f32>;
@group(0) @binding(4) var<storage, read_write> cs: array<f32>;
@group(0) @binding(5) var<storage, read_write> gates: array<f32>;

const WG: u32 = 64u;
const BB: u32 = 4u;
const KT: u32 = 256u;  // one tile (two barriers) for H ≤ 256

var<workgroup> h_tile: array<f32, 1024>;  // (BB, KT)

// #include activations

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let j = wg.x * WG + lid.x;
  let b0 = wg.y * BB;
  let H = u.h;
  let H4 = 4u * H;
  var acc: array<array<f32, 4>, 4>;  // [gate][stream]
  for (var g = 0u; g < 4u; g++) { for (var s = 0u; s < BB; s++) { acc[g][s] = 0.0; } }

  for (var k0 = 0u; k0 < H; k0 += KT) {
    for (var e = lid.x; e < BB * KT; e += WG) {
      let s = e / KT;
      let k = k0 + e % KT;
      var v = 0.0;
      if (b0 + s < u.b && k < H) { v = hs[u.h_prev_off + (b0 + s) * H + k]; }
      h_tile[e] = v;
    }
    workgroupBarrier();
    if (j < H) {
      let kn = min(KT, H - k0);
      for (var kk = 0u; kk < kn; kk++) {
        let w = (k0 + kk) * H4 + j;
        let wi = whh_t[w];
        let wf = whh_t[w + H];
        let wgg = whh_t[w + 2u * H];
        let wo = whh_t[w + 3u * H];
        for (var s = 0u; s < BB; s++) {
          let hv = h_tile[s * KT + kk];
          acc[0][s] = fma(hv, wi, acc[0][s]);
          acc[1][s] = fma(hv, wf, acc[1][s]);
          acc[2][s] = fma(hv, wgg, acc[2][s]);
          acc[3][s] = fma(hv, wo, acc[3][s]);
        }
      }
    }
    workgroupBarrier();
  }

  if (j >= H) { return; }
  for (var s = 0u; s < BB; s++) {
    let b = b0 + s;
    if (b >= u.b) { break; }
    let zb = u.zx_off + b * H4;
    let ig = sigmoid(acc[0][s] + zx[zb + j]);
    let fg = sigmoid(acc[1][s] + zx[zb + H + j]);
    let gg = tanh_stable(acc[2][s] + zx[zb + 2u * H + j]);
    let og = sigmoid(acc[3][s] + zx[zb + 3u * H + j]);
    let c = fg * cs[u.c_prev_off + b * H + j] + ig * gg;
    cs[u.c_off + b * H + j] = c;
    hs[u.h_off + b * H + j] = og * tanh_stable(c);
    let gb = u.gates_off + b * H4;
    gates[gb + j] = ig;
    gates[gb + H + j] = fg;
    gates[gb + 2u * H + j] = gg;
    gates[gb + 3u * H + j] = og;
  }
}
