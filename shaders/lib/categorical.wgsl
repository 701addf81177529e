// The samplers' shared pieces (pasted in by src/gpu/shaders.ts where a kernel asks for
// "categorical"): a row's settings, its top-k / top-p truncation and one categorical draw.

// How a row draws, one per row in the samplers' `settings` binding (16 bytes; the host
// packs it with packRowSettings in src/gpu/kernels.ts).
struct RowSettings {
  temperature: f32,
  top_k: u32,   // 0 = off
  top_p: f32,   // ≥ 1 = off
  pad: u32,
}

// One categorical draw. It reads the including kernel's `var<workgroup> q`: the kept
// probabilities of the n characters (0 where top-k / top-p cut one). Inverts the
// cumulative sum at r01 · Σq (r01 uniform in [0, 1)); past the end, by rounding, the
// last kept character.
fn draw_kept(n: u32, r01: f32) -> i32 {
  var total = 0.0;
  for (var i = 0u; i < n; i++) { total += q[i]; }
  let goal = r01 * total;
  var acc = 0.0;
  var last = 0u;
  for (var i = 0u; i < n; i++) {
    if (q[i] > 0.0) {
      last = i;
      acc += q[i];
      if (acc > goal) { return i32(i); }
    }
  }
  return i32(last);
}

// The kept probability of character i (0 where top-k / top-p cut it) among the n
// probabilities p[j]·scale, from the including kernel's `var<workgroup> p` (scale: 1 when
// p is already normalised, else 1 / Σp). Rank and mass-before by a scan of all n, O(n) per
// item; ties rank the lower index first.
fn kept_prob(i: u32, n: u32, st: RowSettings, scale: f32) -> f32 {
  let pi = p[i] * scale;
  if (st.top_k == 0u && st.top_p >= 1.0) { return pi; }
  var rank = 0u;
  var before = 0.0;
  for (var j = 0u; j < n; j++) {
    let pj = p[j] * scale;
    if (pj > pi || (pj == pi && j < i)) { rank++; before += pj; }
  }
  let keep = (st.top_k == 0u || rank < st.top_k) && (st.top_p >= 1.0 || before < st.top_p);
  return select(0.0, pi, keep);
}
