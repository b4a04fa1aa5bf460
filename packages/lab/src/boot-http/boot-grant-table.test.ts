import { describe, expect, it } from 'vitest';
import { BootGrantTable } from './boot-grant-table.js';

describe('the per-boot token table', () => {
  it('a token is live until its time, then expired; revoked at once when the boot ends', () => {
    const t = new BootGrantTable<string>();
    t.add('tok', 'vm1', 1000);
    expect(t.lookup('tok', 999)).toEqual({ kind: 'live', value: 'vm1' });
    expect(t.lookup('tok', 1000)).toEqual({ kind: 'expired', value: 'vm1' });
    expect(t.revoke('tok')).toBe('vm1');
    expect(t.lookup('tok', 0)).toEqual({ kind: 'revoked', value: 'vm1' });
    expect(t.revoke('tok')).toBeUndefined();
    expect(t.lookup('other', 0)).toEqual({ kind: 'unknown' });
    t.add('timed', 'vm2', 5);
    expect(t.revoke('timed', 'expired')).toBe('vm2');
    expect(t.lookup('timed', 0)).toEqual({ kind: 'expired', value: 'vm2' });
  });

  it('remembers a bounded number of retired tokens, forgetting the oldest, never a live one', () => {
    const t = new BootGrantTable<number>();
    t.add('live', -1, Number.MAX_SAFE_INTEGER);
    for (let i = 0; i < 1100; i++) {
      t.add(`t${i}`, i, 10);
      t.revoke(`t${i}`);
    }
    t.add('last', 0, 10);
    expect(t.lookup('t0', 0)).toEqual({ kind: 'unknown' });
    expect(t.lookup('t1099', 0)).toEqual({ kind: 'revoked', value: 1099 });
    expect(t.lookup('live', 0)).toEqual({ kind: 'live', value: -1 });
    expect(t.unrevoked().map(([k]) => k).sort()).toEqual(['last', 'live']);
  });
});
