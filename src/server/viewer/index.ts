/**
 * The web viewer: a Hono sub-app serving a single page (plain ES modules and
 * CSS, no build step) at `/`, its deep links, and `/assets/*`. The page holds
 * no data: it reads everything from the query API and the live stream with
 * the bearer token the user gives it, so the page and its assets may be served
 * without a token (see `isViewerShellPath`).
 */

import { Hono } from 'hono';
import type { Context } from 'hono';
import { loadViewerAssets } from './viewer-assets.js';
import type { ViewerAsset } from './viewer-assets.js';

export interface ViewerOptions {
  /** Folder holding index.html and the assets. Default: the shipped viewer. */
  assetsDir?: string;
}

/** Versioned URLs (`?v=<content hash>`) never change content: cache them for a year. */
export const IMMUTABLE_CACHE_CONTROL = 'public, max-age=31536000, immutable';
/** index.html and unversioned asset URLs: keep, but ask (ETag) before every use, so a new version shows at once. */
export const REVALIDATE_CACHE_CONTROL = 'no-cache';

/** Client-side routes: a reload or a shared link on any of these gets the page, which then shows the view. */
const PAGE_ROUTES = ['/', '/sessions', '/sessions/*', '/search', '/stats', '/operations', '/compare/*'] as const;

/**
 * Whether `path` is part of the viewer's shell (the page or an asset): data
 * free, so it can be served without a token while the API keeps requiring one.
 */
export function isViewerShellPath(path: string): boolean {
  return (
    path === '/' ||
    path === '/sessions' ||
    path.startsWith('/sessions/') ||
    path === '/search' ||
    path === '/stats' ||
    path === '/operations' ||
    path.startsWith('/compare/') ||
    path.startsWith('/assets/')
  );
}

/** RFC 9110 If-None-Match: a list of (possibly weak) tags, or `*`. */
function matchesEtag(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false;
  return header.split(',').some((tag) => {
    const trimmed = tag.trim();
    return trimmed === '*' || trimmed.replace(/^W\//, '') === etag;
  });
}

function send(c: Context, file: ViewerAsset, headers: Record<string, string>): Response {
  const all = { ETag: file.etag, 'X-Content-Type-Options': 'nosniff', ...headers };
  if (matchesEtag(c.req.header('if-none-match'), file.etag)) return c.body(null, 304, all);
  return c.body(file.body as Uint8Array<ArrayBuffer>, 200, { ...all, 'Content-Type': file.contentType });
}

export function createViewer(options: ViewerOptions = {}): Hono {
  const assets = loadViewerAssets(options.assetsDir);
  const app = new Hono();

  const page = (c: Context) =>
    send(c, assets.index, {
      'Cache-Control': REVALIDATE_CACHE_CONTROL,
      'Content-Security-Policy': assets.contentSecurityPolicy,
      'Referrer-Policy': 'no-referrer',
    });
  for (const route of PAGE_ROUTES) app.get(route, function viewerPage(c) {
    return page(c);
  });

  app.get('/assets/:name', function viewerAsset(c) {
    const file = assets.files.get(c.req.param('name'));
    if (file === undefined) return c.notFound();
    const versioned = c.req.query('v') === file.version;
    return send(c, file, { 'Cache-Control': versioned ? IMMUTABLE_CACHE_CONTROL : REVALIDATE_CACHE_CONTROL });
  });

  return app;
}
