/** What a bisection page's evidence deep link names: a stored log and whether it is a build log. */
export interface EvidenceLink {
  readonly name: string;
  readonly kind: 'console' | 'build';
}

/** Evidence names as the workers write them (console-…, test-…, build-…): nothing else is fetched from a link. */
const NAME = /^[A-Za-z0-9_.-]{1,120}$/;

/** What the fragment of `/b/<id>#commit=…&evidence=<name>&kind=build` names, if anything. */
export function evidenceOfHash(hash: string): EvidenceLink | undefined {
  const p = new URLSearchParams(hash.replace(/^#/, ''));
  const name = p.get('evidence');
  return name && NAME.test(name) ? { name, kind: p.get('kind') === 'build' ? 'build' : 'console' } : undefined;
}

/** The page of bisection `id` opened at `commit` with `evidence` in the viewer: the deep link `evidenceOfHash` reads. */
export function evidenceHref(id: string, commit: string, evidence: EvidenceLink): string {
  const p = new URLSearchParams({ commit, evidence: evidence.name });
  if (evidence.kind === 'build') p.set('kind', 'build');
  return `/b/${encodeURIComponent(id)}#${p.toString()}`;
}
