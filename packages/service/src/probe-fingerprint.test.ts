import { describe, expect, it } from 'vitest';
import { probeFingerprint, toolchainIdentity, type FingerprintInputs } from './probe-fingerprint.js';

const kernel: FingerprintInputs = {
  tree: 'linux',
  toolchain: toolchainIdentity([{ below: '4.11', cc: 'gcc-11' }]),
  request: {
    repo: '/srv/mirrors/linux.git',
    probe: { type: 'kernel', configFragments: ['base', 'vfio'], requireConfig: ['CONFIG_TRANSPARENT_HUGEPAGE'], untestable: 'force', pool: 'iommu', reproducer: { name: 'vfio-pin-check', args: ['--mode=fork'], timeoutSec: 600 } },
    options: { requireConfig: ['CONFIG_VFIO'] },
  },
};
const command: FingerprintInputs = { tree: 'small', toolchain: 'x', request: { repo: '/srv/small.git', probe: { type: 'command', command: 'make check' } } };

type KernelProbe = Extract<FingerprintInputs['request']['probe'], { type: 'kernel' }>;
const withProbe = (change: Partial<KernelProbe>): FingerprintInputs => ({ ...kernel, request: { ...kernel.request, probe: { ...(kernel.request.probe as KernelProbe), ...change } } });

describe('probeFingerprint', () => {
  it('is stable and short: the same inputs give the same key', () => {
    expect(probeFingerprint(kernel)).toBe(probeFingerprint(structuredClone(kernel)));
    expect(probeFingerprint(kernel)).toMatch(/^[0-9a-f]{32}$/);
  });

  const changes: Record<string, FingerprintInputs> = {
    'the registered tree': { ...kernel, tree: 'linux-next' },
    'the mirror it is pinned to': { ...kernel, request: { ...kernel.request, repo: '/srv/mirrors/other.git' } },
    'a config fragment': withProbe({ configFragments: ['base'] }),
    'the fragments\' order (later ones win in the merge)': withProbe({ configFragments: ['vfio', 'base'] }),
    'a required symbol of the probe': withProbe({ requireConfig: ['CONFIG_NUMA'] }),
    'a required symbol of the options': { ...kernel, request: { ...kernel.request, options: { requireConfig: ['CONFIG_IOMMUFD'] } } },
    'building with BROKEN dropped or not': withProbe({ untestable: 'skip' }),
    'the toolchain': { ...kernel, toolchain: toolchainIdentity([{ below: '5.0', cc: 'gcc-11' }]) },
    'the reproducer': withProbe({ reproducer: { name: 'boot', args: ['--mode=fork'], timeoutSec: 600 } }),
    'its arguments': withProbe({ reproducer: { name: 'vfio-pin-check', args: ['--mode=thread'], timeoutSec: 600 } }),
    'its deadline': withProbe({ reproducer: { name: 'vfio-pin-check', args: ['--mode=fork'], timeoutSec: 60 } }),
    'whether a crash counts': withProbe({ reproducer: { name: 'vfio-pin-check', args: ['--mode=fork'], timeoutSec: 600, crashesCount: true } }),
    'the pool': withProbe({ pool: 'other-pool' }),
  };
  for (const [what, changed] of Object.entries(changes)) {
    it(`changes with ${what}`, () => {
      expect(probeFingerprint(changed)).not.toBe(probeFingerprint(kernel));
    });
  }

  it("changes with a command probe's command, not with what only picks runs (policy, priority, range)", () => {
    expect(probeFingerprint({ ...command, request: { ...command.request, probe: { type: 'command', command: 'make check2' } } })).not.toBe(probeFingerprint(command));
    expect(probeFingerprint({ ...command, request: { ...command.request, options: { policy: 'repeat', priority: 10, maxParallel: 3 } } })).toBe(probeFingerprint(command));
  });

  it('changes when a command probe has the network (a test that fetches shows something else), and not for network: false', () => {
    const networked = { ...command, request: { ...command.request, probe: { type: 'command' as const, command: 'make check', network: true } } };
    expect(probeFingerprint(networked)).not.toBe(probeFingerprint(command));
    // Verdicts cached before the option existed keep their key.
    expect(probeFingerprint({ ...command, request: { ...command.request, probe: { type: 'command', command: 'make check', network: false } } })).toBe(probeFingerprint(command));
  });

  it("leaves 'narrow' and 'skip' alike: narrow forces only its own runs, which are never shared", () => {
    expect(probeFingerprint(withProbe({ untestable: 'narrow' }))).toBe(probeFingerprint(withProbe({ untestable: 'skip' })));
  });
});
