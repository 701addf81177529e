/**
 * One GPU device shared by every <char-lm-demo> on a page. Elements borrow it and
 * give it back; the device is requested on first use, destroyed when the last
 * borrower gives it back, and forgotten when lost, so that the next borrower gets a
 * fresh one.
 */
import { requestGpu, type GpuContext } from '../gpu/device.ts';

export class GpuRegistry {
  private ctx: Promise<GpuContext> | null = null;
  private users = 0;
  /** Devices this registry destroyed itself (the last borrower left): their loss is no accident. */
  private released = new WeakSet<GPUDevice>();

  async acquire(): Promise<GpuContext> {
    if (!this.ctx) {
      const hint =
        'use Chrome 113 or newer; on Linux start it with --enable-unsafe-webgpu (and --enable-features=Vulkan), or enable chrome://flags/#enable-unsafe-webgpu';
      const p = requestGpu(typeof navigator !== 'undefined' ? navigator.gpu : undefined, hint);
      this.ctx = p;
      p.then(
        (c) =>
          c.device.lost.then(() => {
            if (this.ctx === p) this.ctx = null;
          }),
        () => {
          if (this.ctx === p) this.ctx = null;
        },
      );
    }
    const ctx = await this.ctx;
    this.users++;
    return ctx;
  }

  /** Gives the device back; the last borrower's release destroys it. */
  release(): void {
    this.users = Math.max(0, this.users - 1);
    if (this.users > 0 || !this.ctx) return;
    const p = this.ctx;
    this.ctx = null;
    void p
      .then((c) => {
        this.released.add(c.device);
        c.device.destroy();
      })
      .catch(() => undefined);
  }

  /**
   * Whether a lost device was destroyed by this registry (every borrower gave it back),
   * rather than lost or destroyed by something else while in use.
   */
  destroyedHere(device: GPUDevice): boolean {
    return this.released.has(device);
  }

  get borrowers(): number {
    return this.users;
  }
}

/** The page-wide registry. */
export const gpuRegistry = new GpuRegistry();
