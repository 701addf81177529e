// The LSTM's gate activations, shared by every kernel that runs the cell
// (pasted in by src/gpu/shaders.ts where a kernel asks for "activations").

fn sigmoid(x: f32) -> f32 { return 1.0 / (1.0 + exp(-x)); }

// tanh through exp(-2|x|): never overflows to inf/inf for large |x|.
fn tanh_stable(x: f32) -> f32 {
  let e = exp(-2.0 * abs(x));
  let t = (1.0 - e) / (1.0 + e);
  return select(-t, t, x >= 0.0);
}
