// Entry point: token hand-off, routing to views, the live indicator and the
// sign-in dialog shown when the API answers 401.

import { getToken, setToken, takeTokenFromLocation } from './api.js';
import { h, replace } from './dom.js';
import { matchRoute, startRouter } from './router.js';
import { createCompareView } from './compare-view.js';
import { createSearchView } from './search-view.js';
import { createSessionView } from './session-view.js';
import { createSessionsView } from './sessions-view.js';
import { createStatsView } from './stats-view.js';
import { createOperationsView } from './operations-view.js';

/**
 * @typedef {{ update(route: import('./router.js').Route): boolean, destroy(): void }} View
 */

const main = /** @type {HTMLElement} */ (document.getElementById('main'));
const conn = /** @type {HTMLElement} */ (document.getElementById('conn'));
/** @type {View | null} */
let current = null;

const LIVE_LABELS = /** @type {Record<string, string>} */ ({
  connecting: 'connecting…',
  live: 'live',
  reconnecting: 'reconnecting…',
  paused: 'paused',
  unavailable: 'no live updates',
  closed: '',
});

const app = {
  /** @param {string} status */
  setLiveStatus(status) {
    conn.textContent = LIVE_LABELS[status] ?? status;
    conn.dataset.state = status;
  },
};

/** @param {import('./router.js').Route} route */
function show(route) {
  if (current?.update(route)) return;
  current?.destroy();
  current = null;
  app.setLiveStatus('closed');
  for (const link of document.querySelectorAll('[data-nav]')) {
    const nav = /** @type {HTMLElement} */ (link).dataset.nav;
    const active = nav === route.name || (nav === 'sessions' && ['session', 'step', 'compare'].includes(route.name));
    if (active) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  document.title = `${titleOf(route)} · Skein`;
  switch (route.name) {
    case 'sessions':
      current = createSessionsView(main, route, app);
      break;
    case 'session':
    case 'step':
      current = createSessionView(main, route, app);
      break;
    case 'search':
      current = createSearchView(main, route);
      break;
    case 'stats':
      current = createStatsView(main, route);
      break;
    case 'operations':
      current = createOperationsView(main);
      break;
    case 'compare':
      current = createCompareView(main, route);
      break;
    default:
      replace(main, h('h1', { tabindex: '-1' }, 'Not found'), h('p', {}, 'Nothing lives at this address. ', h('a', { href: '/sessions' }, 'Go to the sessions.')));
  }
  if (route.name !== 'session' && route.name !== 'step') /** @type {HTMLElement | null} */ (main.querySelector('h1'))?.focus({ preventScroll: true });
}

/** @param {import('./router.js').Route} route */
function titleOf(route) {
  switch (route.name) {
    case 'session':
    case 'step':
      return `Session ${route.params[0]}`;
    case 'search':
      return 'Search';
    case 'stats':
      return 'Stats';
    case 'operations':
      return 'Operations';
    case 'compare':
      return `Compare ${route.params[0]} and ${route.params[1]}`;
    default:
      return 'Sessions';
  }
}

/** Asks for the token once per 401 burst, then re-opens the current view with it. */
function signIn() {
  if (document.getElementById('signin')) return;
  const input = h('input', { type: 'password', id: 'signin-token', name: 'token', required: true, autocomplete: 'current-password' });
  const dialog = /** @type {HTMLDialogElement} */ (
    h(
      'dialog',
      { id: 'signin', 'aria-labelledby': 'signin-title' },
      h(
        'form',
        { method: 'dialog', class: 'signin' },
        h('h2', { id: 'signin-title' }, 'Token required'),
        h('p', {}, getToken() ? 'The token was not accepted. ' : '', 'This server was started with ', h('code', {}, '--token'), '. Enter it to read its data; it is kept for this tab only.'),
        h('label', { for: 'signin-token' }, 'Token'),
        input,
        h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'btn btn-primary' }, 'Sign in')),
      ),
    )
  );
  dialog.addEventListener('close', () => {
    const token = /** @type {HTMLInputElement} */ (input).value.trim();
    dialog.remove();
    if (!token) return;
    setToken(token);
    current?.destroy();
    current = null;
    show(matchRoute(location));
  });
  document.body.append(dialog);
  dialog.showModal();
}

takeTokenFromLocation();
window.addEventListener('skein:unauthorized', signIn);
if (location.pathname === '/') history.replaceState(null, '', `/sessions${location.search}`);
startRouter(show);

