// History-API routing: every view has a real URL (`/sessions/<id>/steps/<spanId>`),
// which the server answers with this page, so reloads and shared links land in
// the same view.

/**
 * @typedef {{ name: string, params: string[], query: URLSearchParams, path: string }} Route
 */

const ROUTES = [
  { name: 'sessions', pattern: /^\/(?:sessions\/?)?$/ },
  { name: 'session', pattern: /^\/sessions\/([^/]+)\/?$/ },
  { name: 'step', pattern: /^\/sessions\/([^/]+)\/steps\/([^/]+)\/?$/ },
  { name: 'search', pattern: /^\/search\/?$/ },
  { name: 'stats', pattern: /^\/stats\/?$/ },
  { name: 'operations', pattern: /^\/operations\/?$/ },
  { name: 'compare', pattern: /^\/compare\/([^/]+)\/([^/]+)\/?$/ },
];

/** @param {URL | Location} url @returns {Route} */
export function matchRoute(url) {
  for (const { name, pattern } of ROUTES) {
    const match = pattern.exec(url.pathname);
    if (match) {
      let params;
      try {
        params = match.slice(1).map((p) => decodeURIComponent(p));
      } catch {
        break;
      }
      return { name, params, query: new URLSearchParams(url.search), path: url.pathname };
    }
  }
  return { name: 'not-found', params: [], query: new URLSearchParams(url.search), path: url.pathname };
}

/** @type {(route: Route) => void} */
let listener = () => {};

/**
 * Goes to `href` inside the app. `replace` for changes that should not add a
 * history entry (filters being typed).
 * @param {string} href @param {{ replace?: boolean }} [options]
 */
export function navigate(href, options = {}) {
  const url = new URL(href, location.href);
  if (options.replace) history.replaceState(null, '', url);
  else history.pushState(null, '', url);
  listener(matchRoute(url));
}

/** Updates the query string in place (no new history entry, no re-route). @param {URLSearchParams} query */
export function replaceQuery(query) {
  const search = query.toString();
  history.replaceState(history.state, '', `${location.pathname}${search ? `?${search}` : ''}`);
}

/** @param {(route: Route) => void} onRoute */
export function startRouter(onRoute) {
  listener = onRoute;
  window.addEventListener('popstate', () => listener(matchRoute(location)));
  document.addEventListener('click', (event) => {
    if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    const target = /** @type {Element | null} */ (event.target);
    const link = target?.closest('a[href]');
    if (!(link instanceof HTMLAnchorElement) || link.target || link.hasAttribute('download')) return;
    const url = new URL(link.href);
    if (url.origin !== location.origin || url.pathname.startsWith('/api/') || url.pathname.startsWith('/assets/')) return;
    event.preventDefault();
    if (url.href !== location.href) navigate(url.href);
  });
  listener(matchRoute(location));
}
