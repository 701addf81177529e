import { describe, expect, it } from 'vitest';
import { DAWN_NEEDS, dawnHost, dawnLoadMessage, olderThan, runsBundled } from './node.ts';

const fine = { glibc: '2.36', glibcxx: true, libstdcxx: '/lib/x86_64-linux-gnu/libstdc++.so.6' };

describe('why Dawn for Node would not load', () => {
  it('compares glibc versions', () => {
    expect(olderThan('2.31', '2.34')).toBe(true);
    expect(olderThan('2.34', '2.34')).toBe(false);
    expect(olderThan('2.4', '2.34')).toBe(true);
    expect(olderThan('3.0', '2.34')).toBe(false);
    expect(olderThan(null, '2.34')).toBe(false);
  });

  it('names the missing C libraries, not npm install, when dawn.node cannot link', () => {
    const ubuntu2004 = dawnLoadMessage(
      "/lib/x86_64-linux-gnu/libc.so.6: version `GLIBC_2.34' not found (required by /x/dawn.node)",
      { glibc: '2.31', glibcxx: false, libstdcxx: '/usr/lib/libstdc++.so.6.0.28' },
      true,
    );
    expect(ubuntu2004).toContain('needs glibc 2.34 or newer (this machine has 2.31) and a libstdc++ with GLIBCXX_3.4.30');
    expect(ubuntu2004).toContain('/usr/lib/libstdc++.so.6.0.28 lacks it');
    expect(ubuntu2004).not.toContain('npm install');
    // RHEL 9: glibc 2.34, GCC 11's libstdc++; the loader's error alone is enough to tell.
    const rhel9 = dawnLoadMessage("version `GLIBCXX_3.4.30' not found (required by dawn.node)", { glibc: '2.34', glibcxx: null, libstdcxx: null }, false);
    expect(rhel9).toContain(`needs a libstdc++ with ${DAWN_NEEDS.glibcxx}`);
    expect(rhel9).not.toContain('glibc 2.34 or newer');
  });

  it('says how to get the package back: npm install from a checkout, the bundle script offline', () => {
    const missing = "Cannot find package 'webgpu' imported from /x/main.ts";
    expect(dawnLoadMessage(missing, fine, false)).toMatch(/could not be loaded: Cannot find package 'webgpu'.*; run npm install$/);
    const bundled = dawnLoadMessage("Cannot find module '/t/node_modules/webgpu/dist/linux-x64/dawn.node'", fine, true);
    expect(bundled).toContain('rebuild the bundle with tools/gpu-bundle.sh');
    expect(bundled).not.toContain('npm install');
  });

  it('reads this machine', () => {
    const h = dawnHost();
    // Linux with glibc here (Node reports it); the libstdc++ Node loaded is found in /proc/self/maps.
    expect(h.glibc).toMatch(/^\d+\.\d+/);
    expect(h.libstdcxx).toMatch(/libstdc\+\+\.so/);
    expect(typeof h.glibcxx).toBe('boolean');
    expect(runsBundled(import.meta.url)).toBe(false);
    expect(runsBundled('file:///opt/x/tools/gpu-bundle/char-lm.mjs')).toBe(true);
  });
});
