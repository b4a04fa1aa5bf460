import { describe, expect, it } from 'vitest';
import { generateHistory, graphOf, seededRandom } from '@kbisect/bisect/testing';
import { lazyStoredGraph, parseStoredGraph } from './stored-graph.js';

describe('a stored graph parsed when first read', () => {
  const { graph } = graphOf(generateHistory(seededRandom(7), { commits: 60 }));
  const withSubjects = { ...graph, subjects: graph.commits.map((_, i) => `commit ${i}`) };

  it('reads as the graph it stores, with or without subjects, and its fields become plain values once read', () => {
    const lazy = lazyStoredGraph('b1', JSON.stringify(withSubjects));
    expect(Object.getOwnPropertyDescriptor(lazy, 'parents')?.get).toBeDefined();
    expect(lazy.commits).toEqual(withSubjects.commits);
    expect(Object.getOwnPropertyDescriptor(lazy, 'parents')?.value).toEqual(withSubjects.parents);
    expect({ ...lazy }).toEqual(withSubjects);
    const bare = lazyStoredGraph('b2', JSON.stringify(graph));
    expect(bare.subjects).toBeUndefined();
    expect(JSON.parse(JSON.stringify(bare))).toEqual(graph);
  });

  it('is checked when read, not when made: a stored graph that is not one throws naming the bisection', () => {
    const raw = JSON.stringify({ commits: ['not-a-sha'], parents: [] });
    const lazy = lazyStoredGraph('b3', raw);
    expect(() => lazy.parents).toThrow('stored graph of b3 is invalid');
    expect(() => parseStoredGraph('b3', raw)).toThrow('stored graph of b3 is invalid');
  });
});
