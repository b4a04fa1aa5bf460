import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { isBisectionId } from './shared-schemas.js';

describe('a bisection id', () => {
  it('is a UUID as the store writes it, and nothing else of its length', () => {
    expect(isBisectionId(randomUUID())).toBe(true);
    for (const bad of ['-'.repeat(36), randomUUID().toUpperCase(), `${randomUUID()}\n`, randomUUID().replaceAll('-', 'x'), randomUUID().slice(1)]) expect(isBisectionId(bad)).toBe(false);
  });

});
