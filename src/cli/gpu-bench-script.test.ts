/**
 * tools/gpu-bench.sh on a stand-in bundle (no GPU needed): the checks before anything
 * starts, where it looks for the driver's ICD file, the order of its stages and what
 * stops it. The bundled CLI and python3 are replaced by scripts that log their arguments.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const dir = mkdtempSync(join(tmpdir(), 'char-lm-gpu-bench-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const SPEED = [
  'engine: WebGPU (Dawn) on nvidia ampere',
  'notebook E32 H128 L1 B1 T40 V38 — recurrence persistent',
  '  train    678 chars/s median, 600–700 over 20 steps; 59 ms/step (quartiles 58–60)',
  'small    E32 H128 L1 B32 T64 V75 — recurrence persistent',
  '  train    12,345 chars/s median, 12,000–13,000 over 5 steps; 166 ms/step (quartiles 160–170)',
];

/** A checkout with tools/gpu-bench.sh and a bundle whose CLI logs its arguments and fails `--parity` or `--notebook-run` when told to. */
function checkout(fail: string[]): string {
  const root = mkdtempSync(join(dir, 'checkout-'));
  const b = join(root, 'tools/gpu-bundle');
  mkdirSync(join(b, 'node_modules/webgpu/dist/linux-x64'), { recursive: true });
  mkdirSync(join(root, 'data'));
  copyFileSync('tools/gpu-bench.sh', join(root, 'tools/gpu-bench.sh'));
  writeFileSync(join(root, 'BENCHMARKS.md'), '# Benchmarks\n');
  writeFileSync(join(b, 'commit'), 'abc123\n');
  spawnSync('sh', ['-c', `printf 'not a real dawn.node' | xz -c > ${join(b, 'node_modules/webgpu/dist/linux-x64/dawn.node.xz')}`]);
  writeFileSync(
    join(b, 'char-lm.mjs'),
    `import { appendFileSync } from 'node:fs';
const args = process.argv.slice(2).join(' ');
appendFileSync(${JSON.stringify(join(root, 'calls.log'))}, 'cli ' + args + '\\n');
if (${JSON.stringify(fail)}.some((f) => args.includes(f))) { console.log('stand-in: ' + args + ' failed'); process.exit(1); }
if (!/--parity|--notebook-run/.test(args)) console.log(${JSON.stringify(SPEED.join('\n'))});
`,
  );
  const py = join(root, 'python3');
  writeFileSync(py, `#!/bin/sh\necho "python $*" >> ${join(root, 'calls.log')}\n`);
  chmodSync(py, 0o755);
  const icds = [join(root, 'icd-a'), join(root, 'icd-b')];
  mkdirSync(icds[1]); // the first folder does not exist, as on most installs one of the two does not
  writeFileSync(join(icds[1], 'nvidia_icd.json'), '{}');
  return root;
}

function run(root: string, args: string[] = []) {
  const env: Record<string, string> = {
    PATH: '/usr/bin:/bin', // no sbin: ldconfig is found at /sbin/ldconfig
    HOME: root,
    CHAR_LM_VULKAN_ICD_DIRS: `${join(root, 'icd-a')} ${join(root, 'icd-b')}`,
    CHAR_LM_PYTHON: join(root, 'python3'),
  };
  const r = spawnSync('bash', [join(root, 'tools/gpu-bench.sh'), ...args], { env, encoding: 'utf8', timeout: 60_000 });
  const calls = existsSync(join(root, 'calls.log')) ? readFileSync(join(root, 'calls.log'), 'utf8').trim().split('\n') : [];
  return { status: r.status, out: `${r.stdout}${r.stderr}`, calls };
}

// What the machine's linker cache says of the Vulkan loader, read whole (no pipe).
const vulkan = spawnSync('/sbin/ldconfig', ['-p'], { encoding: 'utf8' }).stdout.match(/^\s*libvulkan\.so\.1 \(libc6,x86-64\) => (\S+)$/m)?.[1];

describe('tools/gpu-bench.sh', () => {
  it('runs parity, speed, the notebook run and PyTorch in that order, finding the ICD file in the folder that has one', () => {
    const root = checkout([]);
    const r = run(root, ['--profile']);
    expect(r.out).toMatch(/gpu-bench: glibc \d+\.\d+, \S+libstdc\+\+\.so\.6 has GLIBCXX_3\.4\.30/);
    expect(r.out).toContain(`gpu-bench: NVIDIA Vulkan ICD ${join(root, 'icd-b')}/nvidia_icd.json (the driver's)`);
    if (vulkan) expect(r.out).toContain(`gpu-bench: Vulkan loader ${vulkan}`);
    expect(r.calls).toEqual([
      'cli bench --engine gpu --parity',
      'cli bench --engine gpu --profile',
      'cli bench --engine gpu --notebook-run',
      'python -c import torch',
      'python tools/torch-step-bench.py --configs notebook,small,medium,large --versus notebook=678,small=12345',
    ]);
    expect(r.out).toContain('gpu-bench: done: parity held');
    expect(r.status).toBe(0);
    expect(readFileSync(join(root, 'tools/gpu-bundle/last-run.log'), 'utf8')).toContain('2/4 speed');
  });

  it('stops before any figure when the GPU disagrees with the reference, and reports a missed notebook target', () => {
    const wrong = run(checkout(['--parity']));
    expect(wrong.status).toBe(1);
    expect(wrong.calls).toEqual(['cli bench --engine gpu --parity']);
    expect(wrong.out).toContain("gpu-bench: STOPPED: the GPU's training steps disagree with the float64 reference");
    const regressed = run(checkout(['--notebook-run']));
    expect(regressed.status).toBe(1);
    expect(regressed.calls).toHaveLength(5);
    expect(regressed.out).toContain('gpu-bench: done, with failures: notebook run');
  });
});
