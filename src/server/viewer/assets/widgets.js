// Small pieces shared by views: status and step-type badges, cards, tables.

import { h } from './dom.js';

export const STEP_TYPES = ['agent', 'llm', 'tool', 'reasoning', 'retrieval', 'workflow', 'other'];

const STEP_TYPE_LABELS = /** @type {Record<string, string>} */ ({
  agent: 'Agent',
  turn: 'Turn',
  llm: 'Model call',
  tool: 'Tool call',
  reasoning: 'Reasoning',
  retrieval: 'Retrieval',
  workflow: 'Workflow',
  other: 'Other',
});

/** @param {string} type */
export function stepTypeLabel(type) {
  return STEP_TYPE_LABELS[type] ?? type;
}

/** @param {string} status */
export function statusBadge(status) {
  if (status === 'running') {
    return h('span', { class: 'badge badge-running', title: 'Running: steps are still open' }, h('span', { class: 'pulse', 'aria-hidden': 'true' }), 'live');
  }
  return h('span', { class: `badge badge-${status}` }, status);
}

/** @param {string} type */
export function stepTypeBadge(type) {
  return h('span', { class: `type-chip type-${STEP_TYPES.includes(type) ? type : 'other'}` }, stepTypeLabel(type));
}

/** @param {string[]} types */
export function legend(types) {
  return h(
    'ul',
    { class: 'legend', 'aria-label': 'Step types' },
    types.map((t) => h('li', {}, h('span', { class: `swatch type-${t}`, 'aria-hidden': 'true' }), stepTypeLabel(t))),
    h('li', {}, h('span', { class: 'swatch swatch-error', 'aria-hidden': 'true' }), 'Error'),
    h('li', {}, h('span', { class: 'swatch swatch-interrupted', 'aria-hidden': 'true' }), 'Interrupted'),
    h('li', {}, h('span', { class: 'swatch swatch-open', 'aria-hidden': 'true' }), 'Running'),
  );
}

/**
 * A definition list from pairs; null values are left out.
 * @param {[string, string | Node | null | undefined][]} pairs
 * @param {string} [cls]
 */
export function facts(pairs, cls = 'facts') {
  return h(
    'dl',
    { class: cls },
    pairs.filter(([, v]) => v !== null && v !== undefined && v !== '').map(([k, v]) => h('div', {}, h('dt', {}, k), h('dd', {}, v))),
  );
}

/** @param {string} title @param {...(Node | string | null | false)} children */
export function card(title, ...children) {
  return h('section', { class: 'card' }, h('h2', {}, title), ...children);
}

/** An error shown in place of a view. @param {unknown} error @param {string} what */
export function errorBox(error, what) {
  const message = error instanceof Error ? error.message : String(error);
  return h('div', { class: 'error-box', role: 'alert' }, h('strong', {}, what), h('p', {}, message));
}

/**
 * Asks before a change that cannot be undone. Resolves true when confirmed.
 * @param {string} title @param {string} text @param {string} action
 * @returns {Promise<boolean>}
 */
export function confirmChange(title, text, action) {
  return new Promise((resolve) => {
    const dialog = /** @type {HTMLDialogElement} */ (
      h(
        'dialog',
        { class: 'confirm', 'aria-labelledby': 'confirm-title' },
        h(
          'form',
          { method: 'dialog', class: 'signin' },
          h('h2', { id: 'confirm-title' }, title),
          h('p', {}, text),
          h(
            'div',
            { class: 'actions ops-actions' },
            h('button', { type: 'submit', value: 'cancel', class: 'btn', autofocus: true }, 'Cancel'),
            h('button', { type: 'submit', value: 'confirm', class: 'btn btn-danger' }, action),
          ),
        ),
      )
    );
    dialog.addEventListener('close', () => {
      dialog.remove();
      resolve(dialog.returnValue === 'confirm');
    });
    document.body.append(dialog);
    dialog.showModal();
  });
}
