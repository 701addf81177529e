// Embedding gather: x[r, e] = embed[tokens[r], e].
// N positions, E embedding width. embed lives in the flat parameter buffer.

struct Uniforms {
  n: u32,          // N rows
  e: u32,          // E
  embed_off: u32,  // offset of embed.weight (V, E) in params
  out_off: u32,    // offset of x (N, E) in out
  tok_off: u32,    // offset of the first token in tokens
}

@group(0) @binding(0) var<uniform> u: Uniforms;
@group(0) @binding(1) var<storage, read> params: array<f32>;
@group(0) @binding(2) var<storage, read> tokens: array<i32>;  // (N)
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

override WG: u32 = 256;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * WG;  // groups1d spreads past 65535 workgroups over y
  if (i >= u.n * u.e) { return; }
  let r = i / u.e;
  let c = i % u.e;
  let tok = u32(tokens[u.tok_off + r]);
  out[u.out_off + i] = params[u.embed_off + tok * u.e + c];
}
