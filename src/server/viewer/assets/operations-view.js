// Operations: forwarding per upstream (queued, oldest age, last error, dead
// letters) with replay and drop, and deleting a session. Every change asks
// for confirmation first and goes through the API's POST/DELETE routes.

import { apiChange, apiGet, sessionPath } from './api.js';
import { announce, h, replace } from './dom.js';
import { formatDuration, formatInt } from './format.js';
import { confirmChange, errorBox } from './widgets.js';

const POLL_MILLIS = 5000;

/** @param {number} n @param {string} noun */
const plural = (n, noun) => `${formatInt(n)} ${noun}${n === 1 ? '' : 's'}`;

/** @param {number} bytes */
function formatBytes(bytes) {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value < 10 ? value.toFixed(1) : Math.round(value)} ${units[unit]}`;
}

/** @param {number | null} seconds */
const age = (seconds) => (seconds === null ? '–' : formatDuration(seconds * 1000));

/** @param {HTMLElement} root */
export function createOperationsView(root) {
  let destroyed = false;
  let controller = /** @type {AbortController | null} */ (null);
  const upstreamsEl = h('div', { class: 'ops-upstreams', 'aria-live': 'polite' }, h('p', { class: 'muted' }, 'Loading…'));
  const message = h('p', { class: 'muted', role: 'status' });
  const sessionInput = /** @type {HTMLInputElement} */ (
    h('input', { id: 'ops-session-id', name: 'session', type: 'text', autocomplete: 'off', spellcheck: 'false', placeholder: 'session id', required: true })
  );
  const deleteResult = h('p', { class: 'muted', role: 'status' });

  replace(
    root,
    h('div', { class: 'page-head' }, h('h1', { tabindex: '-1' }, 'Operations')),
    h(
      'section',
      { 'aria-labelledby': 'ops-forwarding' },
      h('h2', { id: 'ops-forwarding' }, 'Forwarding'),
      h('p', { class: 'muted' }, 'What skein serve --forward has queued per upstream, and what upstreams refused for good (dead letters).'),
      message,
      upstreamsEl,
    ),
    h(
      'section',
      { class: 'card', 'aria-labelledby': 'ops-delete' },
      h('h2', { id: 'ops-delete' }, 'Delete a session'),
      h(
        'form',
        { class: 'ops-delete', onsubmit: (/** @type {Event} */ e) => (e.preventDefault(), void deleteSession()) },
        h('label', { class: 'field', for: 'ops-session-id' }, h('span', {}, 'Session id'), sessionInput),
        h('button', { type: 'submit', class: 'btn btn-danger' }, 'Delete…'),
      ),
      deleteResult,
    ),
  );
  void load();
  const poll = window.setInterval(() => void load(), POLL_MILLIS);

  async function load() {
    controller?.abort();
    const mine = new AbortController();
    controller = mine;
    try {
      const body = await apiGet('/operations/forwarding', {}, { signal: mine.signal });
      if (destroyed || mine.signal.aborted) return;
      render(body);
    } catch (error) {
      if (!mine.signal.aborted && !destroyed) replace(upstreamsEl, errorBox(error, 'Could not load forwarding'));
    }
  }

  /** @param {{ available: boolean, upstreams: any[] }} body */
  function render(body) {
    if (!body.available) {
      replace(upstreamsEl, h('p', { class: 'muted' }, 'This server has no forwarding outbox.'));
      return;
    }
    if (body.upstreams.length === 0) {
      replace(upstreamsEl, h('p', { class: 'muted empty-forwarding' }, 'Nothing is forwarded, nothing is queued and there are no dead letters.'));
      return;
    }
    replace(upstreamsEl, body.upstreams.map(upstreamCard));
  }

  /** @param {any} u */
  function upstreamCard(u) {
    const fact = (/** @type {string} */ label, /** @type {any} */ value) => [h('dt', {}, label), h('dd', {}, value)];
    const state = u.configured ? u.state : 'not forwarded to now';
    const lastDead = u.lastDeadLetter;
    return h(
      'section',
      { class: 'card ops-upstream', dataset: { upstream: u.upstream } },
      h('h2', {}, u.upstream),
      h(
        'dl',
        { class: 'ops-facts' },
        fact('State', h('span', { class: u.state === 'failing' ? 'has-errors' : '' }, state)),
        fact('Queued', u.queued === 0 ? 'nothing' : `${plural(u.queued, 'request')} · ${plural(u.queuedSpans, 'span')} · ${formatBytes(u.queuedBytes)}`),
        fact('Oldest', u.queued === 0 ? '–' : `${age(u.oldestAgeSeconds)} ago`),
        fact(
          'Last error',
          u.lastError === null ? (u.configured ? 'none' : '–') : h('span', {}, h('span', { class: 'ops-error' }, u.lastError), u.lastErrorAgeSeconds === null ? '' : ` (${age(u.lastErrorAgeSeconds)} ago)`),
        ),
        fact('Dead letters', h('span', { class: u.deadLetters > 0 ? 'has-errors dead-count' : 'dead-count' }, u.deadLetters === 0 ? '0' : `${plural(u.deadLetters, 'request')} · ${plural(u.deadSpans, 'span')}`)),
        lastDead
          ? fact('Refused with', h('pre', { class: 'ops-error' }, `${lastDead.status ?? 'no HTTP answer'}${lastDead.response ? `: ${lastDead.response}` : ''}`))
          : [],
      ),
      h(
        'div',
        { class: 'ops-actions' },
        u.deadLetters > 0
          ? h('button', { type: 'button', class: 'btn', dataset: { action: 'replay' }, onclick: () => void replay(u) }, `Replay ${plural(u.deadLetters, 'dead letter')}`)
          : null,
        u.queued > 0 ? h('button', { type: 'button', class: 'btn btn-danger', dataset: { action: 'drop' }, onclick: () => void drop(u) }, 'Drop queue…') : null,
      ),
    );
  }

  /** @param {any} u */
  async function replay(u) {
    try {
      const { replayed } = await apiChange('POST', '/operations/forwarding/replay', { upstream: u.upstream });
      say(`Replayed ${plural(replayed.length, 'dead letter')} into the queue for ${u.upstream}.`);
    } catch (error) {
      say(`Replay failed: ${error instanceof Error ? error.message : String(error)}`);
    }
    await load();
  }

  /** @param {any} u */
  async function drop(u) {
    const ok = await confirmChange(
      'Drop this queue?',
      `${plural(u.queued, 'queued request')} (${plural(u.queuedSpans, 'span')}) for ${u.upstream} will never be delivered. Dead letters are kept.`,
      'Drop queue',
    );
    if (!ok) return;
    try {
      const { dropped } = await apiChange('POST', '/operations/forwarding/drop', { upstream: u.upstream });
      say(`Dropped ${plural(dropped.entries, 'queued request')} for ${u.upstream}.`);
    } catch (error) {
      say(`Drop failed: ${error instanceof Error ? error.message : String(error)}`);
    }
    await load();
  }

  async function deleteSession() {
    const id = sessionInput.value.trim();
    if (!id) return;
    const ok = await confirmChange('Delete this session?', `Session ${id} and all its spans will be deleted from the database. This cannot be undone.`, 'Delete session');
    if (!ok) return;
    try {
      await apiChange('DELETE', sessionPath(id));
      deleteResult.textContent = `Deleted session ${id}.`;
      sessionInput.value = '';
    } catch (error) {
      deleteResult.textContent = `Could not delete ${id}: ${error instanceof Error ? error.message : String(error)}`;
    }
    announce(deleteResult.textContent ?? '');
  }

  /** @param {string} text */
  function say(text) {
    message.textContent = text;
    announce(text);
  }

  return {
    /** @param {import('./router.js').Route} next */
    update(next) {
      return next.name === 'operations';
    },
    destroy() {
      destroyed = true;
      controller?.abort();
      clearInterval(poll);
    },
  };
}
