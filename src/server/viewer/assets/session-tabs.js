// The session page's tabs (a coding agent's turns, steps, chat replay, log
// events) and the query that keeps the page's state in its URL: the tab, the
// step filter and the event filters, carried on every link within the session.
// A session with turn steps opens on its turns, any other on its steps; the
// query names the tab only when it is not the session's first.

import { h } from './dom.js';

const TABS = /** @type {const} */ ([
  ['turns', 'Turns'],
  ['steps', 'Steps'],
  ['chat', 'Chat'],
  ['events', 'Events'],
]);

/** The tab a `?view=` names, `fallback` (the session's first tab) when none or an unknown one. @param {string | null} name @param {string} [fallback] */
export function viewOf(name, fallback = 'steps') {
  return TABS.some(([key]) => key === name) ? /** @type {string} */ (name) : fallback;
}

/**
 * The tab list; each tab controls the panel with id `tab-<name>`.
 * @param {(name: string) => void} onSelect
 */
export function sessionTabs(onSelect) {
  const element = h(
    'div',
    { class: 'tabs', role: 'tablist', 'aria-label': 'Session view' },
    TABS.map(([name, label]) =>
      h('button', { type: 'button', role: 'tab', id: `tab-${name}-button`, class: 'tab', 'aria-controls': `tab-${name}`, onclick: () => onSelect(name) }, label),
    ),
  );
  return {
    element,
    /**
     * Marks `view`'s tab selected and shows only its panel; a tab without a panel (the turns of a session
     * that has none) is hidden. @param {string} view @param {Record<string, HTMLElement>} panels
     */
    show(view, panels) {
      for (const button of element.querySelectorAll('[role="tab"]')) {
        button.setAttribute('aria-selected', String(button.id === `tab-${view}-button`));
        /** @type {HTMLElement} */ (button).hidden = !Object.hasOwn(panels, /** @type {string} */ (button.getAttribute('aria-controls')).slice('tab-'.length));
      }
      for (const [name, panel] of Object.entries(panels)) panel.hidden = name !== view;
    },
  };
}

/**
 * `?view=…&filter=…&event=…&severity=…`, or '' when all are defaults (`firstView`: the session's first tab).
 * @param {{ view: string, firstView?: string, filterText: string, eventName: string, minSeverity: string }} state
 */
export function sessionSuffix({ view, firstView = 'steps', filterText, eventName, minSeverity }) {
  const query = new URLSearchParams();
  if (view !== firstView) query.set('view', view);
  if (filterText) query.set('filter', filterText);
  if (eventName) query.set('event', eventName);
  if (minSeverity) query.set('severity', minSeverity);
  const text = query.toString();
  return text ? `?${text}` : '';
}
