import { describe, expect, it } from 'vitest';
import { controlForField, requestFromForm } from './submit-request.js';

describe('requestFromForm', () => {
  it('builds a command-probe request with only the options given', () => {
    expect(requestFromForm({ probeType: 'command', repo: ' /srv/linux ', good: 'v6.1 v6.0', bad: 'v6.2', command: 'make test', verify: true, policy: '', retries: '' })).toEqual({
      repo: '/srv/linux', good: ['v6.1', 'v6.0'], bad: 'v6.2', probe: { type: 'command', command: 'make test' }, options: { verify: true },
    });
  });

  it('builds a kernel-probe request as kbisect submit would', () => {
    const body = requestFromForm({
      probeType: 'kernel', repo: '/srv/linux', good: 'v4.4', bad: 'v4.6-rc5', configFragments: 'qemu-x86_64, iommu-vfio thp', pool: 'virtual',
      reproducer: 'vfio-pin-check', reproducerArgs: '--seconds=30\n\n--mode=fork', timeoutSec: '600', crashesCount: true,
      requireConfig: 'CONFIG_TRANSPARENT_HUGEPAGE', untestable: 'narrow', policy: 'bayes', confidence: '0.95', skipEndpointCheck: true, verifyRevert: true, fix: false,
    });
    expect(body).toEqual({
      repo: '/srv/linux', good: ['v4.4'], bad: 'v4.6-rc5',
      probe: { type: 'kernel', configFragments: ['qemu-x86_64', 'iommu-vfio', 'thp'], pool: 'virtual', reproducer: { name: 'vfio-pin-check', args: ['--seconds=30', '--mode=fork'], timeoutSec: 600, crashesCount: true }, requireConfig: ['CONFIG_TRANSPARENT_HUGEPAGE'], untestable: 'narrow' },
      options: { policy: 'bayes', confidence: 0.95, checkEndpoints: false, verify: true, verifyRevert: true },
    });
  });

  it('leaves out ends left empty, so an imported log\'s start can name them (the API names a missing one otherwise)', () => {
    const body = requestFromForm({ probeType: 'command', repo: 'linux', good: ' ', bad: '', command: 'make test', importLog: "git bisect start 'v6.2' 'v6.1'\n" });
    expect(body).toEqual({ repo: 'linux', probe: { type: 'command', command: 'make test' }, importLog: "git bisect start 'v6.2' 'v6.1'" });
  });

  it('passes a non-number through so the API names the field', () => {
    expect(requestFromForm({ probeType: 'command', command: 'true', priority: 'soon' }).options?.priority).toBeNaN();
  });
});

describe('controlForField', () => {
  const names = ['good', 'bad', 'probe', 'probe.command', 'probe.reproducer', 'options.confidence'];
  it('finds the most specific control for an API field path', () => {
    expect(controlForField('good.0', names)).toBe('good');
    expect(controlForField('probe.command', names)).toBe('probe.command');
    expect(controlForField('body.probe.reproducer.name', names)).toBe('probe.reproducer');
    expect(controlForField('probe.untestable', names)).toBe('probe');
    expect(controlForField('importLog', names)).toBeUndefined();
  });
});
