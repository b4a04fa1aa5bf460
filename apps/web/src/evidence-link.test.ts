import { describe, expect, it } from 'vitest';
import { evidenceHref, evidenceOfHash } from './evidence-link.js';

const id = '0b5f6a8e-1c2d-4e3f-8a9b-0c1d2e3f4a5b';
const sha = 'a'.repeat(40);

describe('evidence deep links', () => {
  it.each([
    ['a console log', { name: `test-${sha}`, kind: 'console' }, `/b/${id}#commit=${sha}&evidence=test-${sha}`],
    ['a build log', { name: `build-${sha}-r1`, kind: 'build' }, `/b/${id}#commit=${sha}&evidence=build-${sha}-r1&kind=build`],
  ] as const)('links to %s and reads the link back', (_what, evidence, href) => {
    expect(evidenceHref(id, sha, evidence)).toBe(href);
    expect(evidenceOfHash(href.slice(href.indexOf('#')))).toEqual(evidence);
  });

  it.each([
    ['no evidence', '#commit=abc'],
    ['an empty name', '#evidence='],
    ['a name with a slash', '#evidence=..%2Fsecret'],
    ['a name over 120 characters', `#evidence=${'x'.repeat(121)}`],
  ])('names nothing for %s', (_what, hash) => {
    expect(evidenceOfHash(hash)).toBeUndefined();
  });
});
