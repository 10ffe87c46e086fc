/**
 * The viewer's static files, read once into memory (they are a few tens of
 * kilobytes). Every file gets a content hash: its ETag, and the `?v=` that
 * index.html and its import map put on asset URLs, so a versioned URL can be
 * cached for a year while index.html itself is always revalidated.
 */

import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface ViewerAsset {
  body: Uint8Array;
  contentType: string;
  /** Content hash, also the `?v=` of versioned URLs. */
  version: string;
  /** Strong ETag, quoted. */
  etag: string;
}

export interface ViewerAssets {
  /** index.html with versioned asset URLs and the import map. */
  index: ViewerAsset;
  /** Files under `/assets/` by name. */
  files: ReadonlyMap<string, ViewerAsset>;
  /** `Content-Security-Policy` for index.html (the inline import map is allowed by its hash). */
  contentSecurityPolicy: string;
}

const CONTENT_TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.html': 'text/html; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.json': 'application/json; charset=utf-8',
};

const IMPORT_MAP_PLACEHOLDER = '<!-- skein:importmap -->';

/**
 * Where the assets are: beside this module when it runs from source (tsx,
 * tests), and in the package's `src/server/viewer/assets/` when it runs from
 * `dist/` (tsc copies no non-TS files; package.json `files` ships the folder).
 */
export function defaultAssetsDir(): string {
  const candidates = [new URL('./assets/', import.meta.url), new URL('../../../../src/server/viewer/assets/', import.meta.url)];
  for (const candidate of candidates) {
    const path = fileURLToPath(candidate);
    if (existsSync(`${path}index.html`)) return path;
  }
  throw new Error(`Skein's viewer assets were not found in ${candidates.map((c) => fileURLToPath(c)).join(' or ')}`);
}

function asset(body: Uint8Array, contentType: string): ViewerAsset {
  const version = createHash('sha256').update(body).digest('hex').slice(0, 16);
  return { body, contentType, version, etag: `"${version}"` };
}

export function loadViewerAssets(dir: string = defaultAssetsDir()): ViewerAssets {
  const root = dir.endsWith('/') ? dir : `${dir}/`;
  const files = new Map<string, ViewerAsset>();
  for (const entry of readdirSync(root, { withFileTypes: true })) {
    const type = CONTENT_TYPES[extname(entry.name)];
    if (!entry.isFile() || type === undefined || entry.name === 'index.html') continue;
    files.set(entry.name, asset(readFileSync(`${root}${entry.name}`), type));
  }

  const versioned = (name: string) => {
    const file = files.get(name);
    return file === undefined ? `/assets/${name}` : `/assets/${name}?v=${file.version}`;
  };
  // Modules import each other by plain relative URLs; the import map sends
  // each one to its versioned URL, so a changed module is fetched anew and an
  // unchanged one comes from the cache.
  const imports: Record<string, string> = {};
  for (const name of [...files.keys()].sort()) if (name.endsWith('.js')) imports[`/assets/${name}`] = versioned(name);
  const importMap = JSON.stringify({ imports });

  const template = readFileSync(`${root}index.html`, 'utf8');
  if (!template.includes(IMPORT_MAP_PLACEHOLDER)) throw new Error(`viewer index.html lacks ${IMPORT_MAP_PLACEHOLDER}`);
  const html = template
    .replace(IMPORT_MAP_PLACEHOLDER, `<script type="importmap">${importMap}</script>`)
    .replace(/(src|href)="\/assets\/([^"?]+)"/g, (_match, attribute: string, name: string) => `${attribute}="${versioned(name)}"`);
  const importMapHash = createHash('sha256').update(importMap).digest('base64');

  return {
    index: asset(Buffer.from(html, 'utf8'), CONTENT_TYPES['.html']),
    files,
    contentSecurityPolicy: [
      "default-src 'self'",
      `script-src 'self' 'sha256-${importMapHash}'`,
      "style-src 'self'",
      "img-src 'self' data:",
      "connect-src 'self'",
      "base-uri 'none'",
      "form-action 'self'",
      "frame-ancestors 'none'",
    ].join('; '),
  };
}
