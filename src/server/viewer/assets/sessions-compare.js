// Picking two sessions of the list to compare (`/compare/<a>/<b>`): a checkbox
// per row, and a bar under the table (once a session is ticked it stays at the
// window's bottom under a long list) with what is ticked and a Compare button
// enabled when exactly two are. Ticks survive live refreshes, filters and sort
// changes; the bar's chips untick sessions the list no longer shows.

import { h, replace } from './dom.js';
import { shortId } from './format.js';
import { navigate } from './router.js';

/** @typedef {{ title: string, startNs: string }} Picked */

export function createComparePick() {
  /** @type {Map<string, Picked>} session id → what the bar shows and the order needs */
  const picked = new Map();
  /** @type {Map<string, HTMLInputElement>} the checkboxes of the rows shown */
  const boxes = new Map();
  const chips = h('span', { class: 'compare-chips' });
  const hint = h('span', { class: 'muted compare-hint', role: 'status' });
  const button = /** @type {HTMLButtonElement} */ (h('button', { type: 'button', class: 'btn btn-primary compare-go', disabled: true, onclick: go }, 'Compare'));
  const bar = h('div', { class: 'compare-bar', role: 'group', 'aria-label': 'Compare sessions' }, chips, hint, button);
  update();

  /** The earlier-started session is A (before), the other B (after): deltas read as "what changed since". */
  function go() {
    if (picked.size !== 2) return;
    const [a, b] = [...picked.entries()].sort(([, x], [, y]) => (BigInt(x.startNs) <= BigInt(y.startNs) ? -1 : 1)).map(([id]) => encodeURIComponent(id));
    navigate(`/compare/${a}/${b}`);
  }

  function update() {
    const n = picked.size;
    button.disabled = n !== 2;
    // Sticky at the window's bottom only while something is ticked.
    bar.classList.toggle('is-active', n > 0);
    hint.textContent = n === 0 ? 'Tick two sessions to compare them side by side.' : n === 1 ? 'Tick one more session to compare.' : n === 2 ? '' : `${n} ticked: compare takes two.`;
    replace(
      chips,
      [...picked].map(([id, p]) =>
        h(
          'span',
          { class: 'compare-chip', dataset: { sessionId: id } },
          h('span', { class: 'compare-chip-title', title: id }, p.title, h('span', { class: 'muted mono' }, ` ${shortId(id, 10)}`)),
          h('button', { type: 'button', class: 'compare-chip-remove', 'aria-label': `Untick ${p.title} (${id})`, onclick: () => toggle(id, null) }, '×'),
        ),
      ),
    );
  }

  /** @param {string} id @param {Picked | null} value null to untick */
  function toggle(id, value) {
    if (value) picked.set(id, value);
    else picked.delete(id);
    const box = boxes.get(id);
    if (box) box.checked = value !== null;
    update();
  }

  return {
    bar,
    /** The header cell of the checkbox column. */
    headCell: () => h('th', { scope: 'col', class: 'c-pick' }, h('span', { class: 'sr-only' }, 'Compare')),
    /** Forgets the checkboxes of rows about to be replaced. */
    clearRows: () => boxes.clear(),
    /**
     * A row's checkbox cell. @param {Record<string, any>} s the session summary @param {string} title
     * @returns {HTMLElement}
     */
    cell(s, title) {
      const id = String(s.sessionId);
      const box = /** @type {HTMLInputElement} */ (
        h('input', { type: 'checkbox', class: 'compare-box', checked: picked.has(id), 'aria-label': `Compare ${title} (${id})` })
      );
      box.addEventListener('change', () => toggle(id, box.checked ? { title, startNs: String(s.firstStartUnixNano) } : null));
      boxes.set(id, box);
      // The label fills the cell, so a click beside the box ticks it rather than opening the session.
      return h('td', { class: 'c-pick' }, h('label', { class: 'compare-box-label' }, box));
    },
  };
}
