import { createHash } from 'node:crypto';
import { readFile, readdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, extname, join, relative, sep } from 'node:path';

export interface UiAsset {
  readonly body: Buffer;
  readonly type: string;
  /** A strong ETag from the content: browsers revalidate and get a 304 until a new build changes it. */
  readonly etag: string;
}

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};

/** Where the built UI lives: the @kbisect/web package (its static/ files and tsc's dist/). */
export function webPackageDir(): string {
  return dirname(createRequire(import.meta.url).resolve('@kbisect/web/package.json'));
}

/**
 * The page names every module up front, so the browser fetches them in
 * parallel instead of discovering imports one level at a time.
 */
function withModulePreloads(index: UiAsset, modules: readonly string[]): UiAsset {
  const links = [...modules].sort().map((m) => `<link rel="modulepreload" href="/ui/${m}">`).join('\n');
  const body = Buffer.from(index.body.toString('utf8').replace('</head>', `${links}\n</head>`), 'utf8');
  return assetOf(body, index.type);
}

function assetOf(body: Buffer, type: string): UiAsset {
  return { body, type, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"` };
}

async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile() && TYPES[extname(entry.name)] !== undefined) out.push(join(entry.parentPath, entry.name));
  }
  return out;
}

/**
 * Loads the built UI into memory once at start: assets are a few hundred
 * kilobytes, and nothing is read from disk (or built) per request. Keys are
 * URL paths under /ui/ (`static/app.css` → `app.css`, `dist/main.js` → `main.js`).
 */
export async function loadUiAssets(root: string = webPackageDir()): Promise<ReadonlyMap<string, UiAsset>> {
  const assets = new Map<string, UiAsset>();
  for (const sub of ['static', 'dist']) {
    const base = join(root, sub);
    let files: string[];
    try {
      files = await filesUnder(base);
    } catch {
      throw new Error(`the web UI is not built (${base} is missing): run npm run build`);
    }
    for (const file of files) {
      assets.set(relative(base, file).split(sep).join('/'), assetOf(await readFile(file), TYPES[extname(file)]!));
    }
  }
  const index = assets.get('index.html');
  if (!index || !assets.has('main.js')) throw new Error(`the web UI in ${root} is incomplete (index.html or main.js missing): run npm run build`);
  assets.set('index.html', withModulePreloads(index, [...assets.keys()].filter((k) => k.endsWith('.js'))));
  return assets;
}
