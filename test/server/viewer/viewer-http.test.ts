/**
 * The viewer's HTTP side through `app.request`: caching headers, ETags,
 * versioned assets, deep links answered with the page, and the token rule
 * (the data-free page loads without a token, the API still needs one).
 */

import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { createSkeinApp } from '../../../src/server/app.js';
import type { TraceIngest } from '../../../src/ingest/trace-ingest.js';
import { IMMUTABLE_CACHE_CONTROL, REVALIDATE_CACHE_CONTROL, createViewer, isViewerShellPath } from '../../../src/server/viewer/index.js';
import { defaultAssetsDir, loadViewerAssets } from '../../../src/server/viewer/viewer-assets.js';
import { SqliteTraceStore } from '../../../src/store/sqlite/sqlite-trace-store.js';

const ASSETS_DIR = fileURLToPath(new URL('../../../src/server/viewer/assets/', import.meta.url));
const noIngest: TraceIngest = { ingest: async () => {} };

function importMapOf(html: string): Record<string, string> {
  const match = /<script type="importmap">(.*?)<\/script>/s.exec(html);
  if (!match) throw new Error('no import map in index.html');
  return (JSON.parse(match[1]) as { imports: Record<string, string> }).imports;
}

describe('viewer: page and assets', () => {
  const app = createViewer();

  it('serves the page at / with no-cache, an ETag, a CSP and nosniff', async () => {
    const response = await app.request('/');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(response.headers.get('cache-control')).toBe(REVALIDATE_CACHE_CONTROL);
    expect(response.headers.get('etag')).toMatch(/^"[0-9a-f]{16}"$/);
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('content-security-policy')).toContain("default-src 'self'");
    const html = await response.text();
    expect(html).toContain('<main id="main"');
    expect(html).not.toContain('skein:importmap');
  });

  it('answers deep links with the same page, so a reload keeps the view', async () => {
    const page = await (await app.request('/')).text();
    for (const path of ['/sessions', '/sessions/abc', '/sessions/a%2Fb/steps/00f067aa0ba902b7', '/search?q=x', '/stats']) {
      const response = await app.request(path);
      expect(response.status, path).toBe(200);
      expect(await response.text(), path).toBe(page);
    }
  });

  it('revalidates with If-None-Match: 304 without a body, 200 for another tag', async () => {
    const first = await app.request('/sessions/x');
    const etag = first.headers.get('etag') ?? '';
    const again = await app.request('/sessions/x', { headers: { 'If-None-Match': `W/"nope", ${etag}` } });
    expect(again.status).toBe(304);
    expect(again.headers.get('etag')).toBe(etag);
    expect(again.headers.get('cache-control')).toBe(REVALIDATE_CACHE_CONTROL);
    expect(await again.text()).toBe('');
    const other = await app.request('/sessions/x', { headers: { 'If-None-Match': '"0000000000000000"' } });
    expect(other.status).toBe(200);
  });

  it('versions every asset URL in the page and caches versioned URLs for a year', async () => {
    const html = await (await app.request('/')).text();
    const imports = importMapOf(html);
    const modules = readdirSync(ASSETS_DIR).filter((name) => name.endsWith('.js'));
    expect(Object.keys(imports).sort()).toEqual(modules.map((name) => `/assets/${name}`).sort());
    const style = /href="(\/assets\/style\.css\?v=[0-9a-f]{16})"/.exec(html);
    expect(style).not.toBeNull();
    for (const url of [...Object.values(imports), style![1]]) {
      const response = await app.request(url);
      expect(response.status, url).toBe(200);
      expect(response.headers.get('cache-control'), url).toBe(IMMUTABLE_CACHE_CONTROL);
      const name = url.slice('/assets/'.length, url.indexOf('?'));
      const body = Buffer.from(await response.arrayBuffer());
      expect(body.equals(readFileSync(`${ASSETS_DIR}${name}`)), url).toBe(true);
      // The version is the content hash: a changed file gets a new URL.
      const version = createHash('sha256').update(body).digest('hex').slice(0, 16);
      expect(url.endsWith(`?v=${version}`), url).toBe(true);
    }
  });

  it('serves an asset without (or with a stale) version for revalidation only', async () => {
    for (const url of ['/assets/app.js', '/assets/app.js?v=0123456789abcdef']) {
      const response = await app.request(url);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
      expect(response.headers.get('cache-control')).toBe(REVALIDATE_CACHE_CONTROL);
    }
    const css = await app.request('/assets/style.css');
    expect(css.headers.get('content-type')).toBe('text/css; charset=utf-8');
  });

  it('404s for unknown assets and paths outside the asset folder', async () => {
    for (const path of ['/assets/nope.js', '/assets/..%2Fviewer-assets.ts', '/assets/index.html', '/sessionsx']) {
      expect((await app.request(path)).status, path).toBe(404);
    }
  });

  it('allows the inline import map by its hash in the CSP', async () => {
    const response = await app.request('/');
    const html = await response.text();
    const imports = /<script type="importmap">(.*?)<\/script>/s.exec(html)![1];
    const hash = createHash('sha256').update(imports).digest('base64');
    expect(response.headers.get('content-security-policy')).toContain(`'sha256-${hash}'`);
  });

  it('finds its assets beside the module and refuses a folder without index.html', () => {
    expect(defaultAssetsDir()).toBe(ASSETS_DIR);
    expect(() => loadViewerAssets(fileURLToPath(new URL('.', import.meta.url)))).toThrow();
  });

  it('knows which paths are the data-free shell', () => {
    for (const path of ['/', '/sessions', '/sessions/x/steps/y', '/search', '/stats', '/assets/app.js']) expect(isViewerShellPath(path), path).toBe(true);
    for (const path of ['/api/sessions', '/v1/traces', '/metrics', '/healthz', '/api/live', '/statsx']) expect(isViewerShellPath(path), path).toBe(false);
  });
});

describe('viewer mounted in the Skein app', () => {
  const store = new SqliteTraceStore({ path: ':memory:' });
  afterAll(() => store.close());

  it('does not shadow the API, the receiver or the not-found answer', async () => {
    const { app } = createSkeinApp({ ingest: noIngest, store });
    expect((await app.request('/api/sessions')).headers.get('content-type')).toContain('application/json');
    const apiMiss = await app.request('/api/nope');
    expect(apiMiss.status).toBe(404);
    expect(await apiMiss.json()).toMatchObject({ error: { code: 'not_found' } });
    expect((await app.request('/healthz')).status).toBe(200);
    const miss = await app.request('/nope');
    expect(miss.status).toBe(404);
    expect(miss.headers.get('content-type')).toContain('application/json');
    expect((await app.request('/sessions', { method: 'POST' })).status).toBe(404);
  });

  it('with a token: the page and assets load without it, data and operations need it', async () => {
    const { app } = createSkeinApp({ ingest: noIngest, store, token: 's3cret' });
    for (const path of ['/', '/sessions/abc/steps/def', '/stats', '/assets/app.js']) {
      expect((await app.request(path)).status, path).toBe(200);
    }
    for (const path of ['/api/sessions', '/api/openapi.json', '/metrics', '/healthz']) {
      expect((await app.request(path)).status, path).toBe(401);
      expect((await app.request(path, { headers: { Authorization: 'Bearer s3cret' } })).status, path).toBe(200);
    }
    // Only reads of the shell are exempt.
    expect((await app.request('/sessions', { method: 'POST' })).status).toBe(401);
    expect((await app.request('/v1/traces', { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } })).status).toBe(401);
  });
});
