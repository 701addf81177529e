/** Small helpers for storage buffers and asynchronous read-back. */

/** The bytes of a storage buffer of `floats` 4-byte elements: a multiple of 16, at least 16 (so empty shapes still bind). */
export function storageBufferBytes(floats: number): number {
  return Math.max(16, Math.ceil((floats * 4) / 16) * 16);
}

/** A storage buffer of `floats` 4-byte elements (at least one, so empty shapes still bind). */
export function storageBuffer(device: GPUDevice, label: string, floats: number, data?: ArrayBufferView): GPUBuffer {
  const size = storageBufferBytes(floats);
  const buffer = device.createBuffer({ label, size, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST });
  if (data) writeArray(device, buffer, data);
  return buffer;
}

/** Copies `bytes` of `src` (from `offset`) to a fresh staging buffer and maps it: one round trip. */
export async function readBuffer(device: GPUDevice, src: GPUBuffer, bytes = src.size, offset = 0): Promise<ArrayBuffer> {
  const staging = device.createBuffer({ label: `read ${src.label}`, size: bytes, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  const enc = device.createCommandEncoder({ label: `read ${src.label}` });
  enc.copyBufferToBuffer(src, offset, staging, 0, bytes);
  device.queue.submit([enc.finish()]);
  await staging.mapAsync(GPUMapMode.READ);
  const out = staging.getMappedRange().slice(0);
  staging.destroy();
  return out;
}

export async function readFloats(device: GPUDevice, src: GPUBuffer, count: number, offset = 0): Promise<Float32Array> {
  return new Float32Array(await readBuffer(device, src, count * 4, offset * 4));
}

/** Several buffers' `count` floats (from float `offset`, default 0), copied in one submission and read back in one round trip. */
export async function readFloatsTogether(device: GPUDevice, parts: { src: GPUBuffer; count: number; offset?: number }[]): Promise<Float32Array[]> {
  let bytes = 0;
  const at = parts.map((p) => {
    const o = bytes;
    bytes += p.count * 4;
    return o;
  });
  const staging = device.createBuffer({ label: 'read together', size: Math.max(4, bytes), usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  const enc = device.createCommandEncoder({ label: 'read together' });
  parts.forEach((p, i) => {
    if (p.count > 0) enc.copyBufferToBuffer(p.src, (p.offset ?? 0) * 4, staging, at[i], p.count * 4);
  });
  device.queue.submit([enc.finish()]);
  try {
    await staging.mapAsync(GPUMapMode.READ);
    const all = staging.getMappedRange();
    return parts.map((p, i) => new Float32Array(all.slice(at[i], at[i] + p.count * 4)));
  } finally {
    staging.destroy();
  }
}

/** Writes a typed array at the start of (or `offset` bytes into) a buffer. */
export function writeArray(device: GPUDevice, buffer: GPUBuffer, data: ArrayBufferView, offset = 0): void {
  device.queue.writeBuffer(buffer, offset, data.buffer as ArrayBuffer, data.byteOffset, data.byteLength);
}
