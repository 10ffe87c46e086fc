// The session page's tools: downloads (Markdown, OTLP JSON of the session or
// of one trace), deleting the session, the filter box, the trace-id lookup and
// the step it leads to, the compare picker, and the page shown while waiting
// for the session's first span.

import { apiChange, apiGet, authHeaders, errorOf, sessionPath } from './api.js';
import { announce, h, replace } from './dom.js';
import { navigate } from './router.js';
import { confirmChange } from './widgets.js';

/** @param {string} url @param {string} name */
function saveUrl(url, name) {
  const link = h('a', { href: url, download: name, hidden: true });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** @param {string} sessionId @param {string} format */
async function fetchExport(sessionId, format) {
  const response = await fetch(`/api${sessionPath(sessionId)}/export?format=${format}`, { headers: authHeaders() });
  if (!response.ok) throw await errorOf(response);
  return response;
}

/**
 * The session's export (`md` or `otlp`) as a file. A fetch rather than a link,
 * so the bearer token goes along.
 * @param {string} sessionId @param {'md' | 'otlp'} format
 */
export async function downloadSession(sessionId, format) {
  try {
    const response = await fetchExport(sessionId, format);
    const fallback = `${sessionId}${format === 'md' ? '.md' : '.otlp.json'}`;
    const name = /filename="([^"]+)"/.exec(response.headers.get('content-disposition') ?? '')?.[1] ?? fallback;
    saveUrl(URL.createObjectURL(await response.blob()), name);
  } catch (error) {
    announce(`Export failed: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/**
 * One trace (turn) as OTLP JSON: the session's OTLP export with only that
 * trace's spans (the API exports whole sessions).
 * @param {string} sessionId @param {string} traceId
 */
export async function downloadTrace(sessionId, traceId) {
  try {
    const request = await (await fetchExport(sessionId, 'otlp')).json();
    const resourceSpans = [];
    for (const rs of request.resourceSpans ?? []) {
      const scopeSpans = [];
      for (const ss of rs.scopeSpans ?? []) {
        const spans = (ss.spans ?? []).filter((/** @type {any} */ s) => String(s.traceId).toLowerCase() === traceId);
        if (spans.length > 0) scopeSpans.push({ ...ss, spans });
      }
      if (scopeSpans.length > 0) resourceSpans.push({ ...rs, scopeSpans });
    }
    const blob = new window.Blob([JSON.stringify({ resourceSpans })], { type: 'application/json' });
    saveUrl(URL.createObjectURL(blob), `${traceId}.otlp.json`);
  } catch (error) {
    announce(`Export failed: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** @param {string | Node | (string | Node)[]} label @param {() => void} onclick */
const button = (label, onclick) => h('button', { type: 'button', class: 'btn btn-small', onclick }, label);
/** "Export …", the first word only for screen readers on a phone, so the session's three buttons fit one line. @param {string} what */
const exportLabel = (what) => [h('span', { class: 'wide-word' }, 'Export '), what];

/**
 * The session's exports, and deleting it (after a confirmation, through the
 * route the Operations page uses), which then goes back to the list.
 * @param {string} sessionId @param {() => Record<string, any> | null} sessionOf the session as last loaded
 */
export function sessionActions(sessionId, sessionOf) {
  const message = h('span', { class: 'delete-message has-errors', role: 'status' });
  const remove = async () => {
    const session = sessionOf();
    const name = session?.title ?? session?.agentName ?? null;
    const spans = session ? ` and its ${session.spanCount} span${session.spanCount === 1 ? '' : 's'}` : ' and all its spans';
    const text = `${name ? `“${name}” (session ${sessionId})` : `Session ${sessionId}`}${spans} will be deleted from the database. This cannot be undone.`;
    if (!(await confirmChange('Delete this session?', text, 'Delete session'))) return;
    replace(message);
    try {
      await apiChange('DELETE', sessionPath(sessionId));
    } catch (error) {
      message.textContent = `Could not delete it: ${error instanceof Error ? error.message : String(error)}`;
      return;
    }
    // Replaced, so Back does not return to a page of a session that is gone.
    navigate('/sessions', { replace: true });
    announce(`Deleted session ${sessionId}.`);
  };
  return h(
    'span',
    { class: 'downloads' },
    button(exportLabel('Markdown'), () => void downloadSession(sessionId, 'md')),
    button(exportLabel('OTLP JSON'), () => void downloadSession(sessionId, 'otlp')),
    h('button', { type: 'button', class: 'btn btn-small btn-danger', dataset: { action: 'delete-session' }, onclick: () => void remove() }, 'Delete…'),
    message,
  );
}

/**
 * Picks another session to compare with: sessions of the same agent are
 * offered first, any id can be typed.
 * @param {string} sessionId @param {string | null} agentName
 */
export function comparePicker(sessionId, agentName) {
  const listId = 'compare-candidates';
  const input = /** @type {HTMLInputElement} */ (h('input', { type: 'text', id: 'compare-with', name: 'with', list: listId, placeholder: 'session id', autocomplete: 'off', required: true }));
  const list = h('datalist', { id: listId });
  let loaded = false;
  input.addEventListener('focus', async () => {
    if (loaded) return;
    loaded = true;
    try {
      const page = await apiGet('/sessions', { agent: agentName ?? undefined, limit: 50 });
      for (const s of page.items ?? []) if (s.sessionId !== sessionId) list.append(h('option', { value: s.sessionId }, s.title ?? s.agentName ?? ''));
    } catch {
      // Typing an id still works.
    }
  });
  return h(
    'form',
    {
      class: 'compare-picker',
      onsubmit: (/** @type {Event} */ event) => {
        event.preventDefault();
        const other = input.value.trim();
        if (other) navigate(`/compare/${encodeURIComponent(sessionId)}/${encodeURIComponent(other)}`);
      },
    },
    h('label', { for: 'compare-with' }, 'Compare with'),
    input,
    list,
    h('button', { type: 'submit', class: 'btn btn-small' }, 'Compare'),
  );
}

/**
 * The filter box and the trace-id lookup. `onLookup` returns a message to show
 * (null when it found the trace).
 * @param {{ filterText: string, onFilter: (text: string) => void, onLookup: (traceId: string) => Promise<string | Node | null> }} options
 */
export function stepTools({ filterText, onFilter, onLookup }) {
  const filter = /** @type {HTMLInputElement} */ (
    h('input', { type: 'search', id: 'step-filter', name: 'filter', value: filterText, placeholder: 'name, text, type:tool, is:error', autocomplete: 'off' })
  );
  filter.addEventListener('input', () => onFilter(filter.value));
  filter.addEventListener('keydown', (event) => {
    if (/** @type {any} */ (event).key === 'Escape' && filter.value) {
      event.stopPropagation();
      filter.value = '';
      onFilter('');
    }
  });
  const traceInput = /** @type {HTMLInputElement} */ (h('input', { type: 'search', id: 'trace-lookup', name: 'trace', placeholder: '32 hex digits', autocomplete: 'off', spellcheck: 'false' }));
  const message = h('span', { class: 'lookup-message', role: 'status' });
  const lookup = h(
    'form',
    {
      class: 'field inline trace-lookup',
      onsubmit: async (/** @type {Event} */ event) => {
        event.preventDefault();
        replace(message);
        const id = traceInput.value.trim().toLowerCase();
        if (!id) return;
        replace(message, await onLookup(id));
      },
    },
    h('label', { for: 'trace-lookup' }, 'Trace id'),
    traceInput,
    h('button', { type: 'submit', class: 'btn btn-small' }, 'Go'),
    message,
  );
  return h('div', { class: 'step-tools' }, h('div', { class: 'field inline' }, h('label', { for: 'step-filter' }, 'Filter steps'), filter), lookup);
}

/**
 * What the lookup says about an id that is not one of this session's traces:
 * whether it belongs to another session (with a link) or is unknown.
 * @param {string} traceId
 * @returns {Promise<string | Node>}
 */
export async function otherTrace(traceId) {
  if (!/^[0-9a-f]{32}$/.test(traceId)) return 'A trace id is 32 hexadecimal digits.';
  try {
    const trace = await apiGet(`/traces/${traceId}`);
    const other = trace.spans?.find((/** @type {any} */ s) => s.sessionId)?.sessionId;
    if (other) return h('span', {}, 'That trace is in another session: ', h('a', { href: sessionPath(other) }, other));
    return 'That trace has no session.';
  } catch {
    return `No trace ${traceId} in this session or in the store.`;
  }
}

/**
 * The step a trace id leads to: its turn's first root (a step whose parent is
 * not in the session), the top row of the turn's group; undefined when no step has that trace.
 * @param {Map<string, Record<string, any>>} steps @param {string} traceId
 */
export function turnStart(steps, traceId) {
  const isRoot = (/** @type {Record<string, any>} */ s) => s.parentSpanId === null || !steps.has(s.parentSpanId);
  return [...steps.values()]
    .filter((s) => s.traceId === traceId)
    .sort((a, b) => Number(isRoot(b)) - Number(isRoot(a)) || (BigInt(a.startTimeUnixNano) < BigInt(b.startTimeUnixNano) ? -1 : 1))[0];
}

/** The page of a session not in the store yet: it shows when its first span comes. @param {string} sessionId */
export function waitingPage(sessionId) {
  return [
    h('p', {}, h('a', { href: '/sessions' }, '← Sessions')),
    h(
      'div',
      { class: 'waiting', role: 'status' },
      h('h1', { tabindex: '-1' }, `Waiting for session ${sessionId}…`),
      h('p', { class: 'muted' }, 'No span of this session has arrived yet. This page shows it as soon as its first span does.'),
    ),
  ];
}
