// DOM building without innerHTML: every value from the API is untrusted text.

/**
 * Creates an element. `props`: `class`, `text`, `on<event>` handlers,
 * `dataset` (object), `style` (object of CSS properties, set through the CSSOM
 * so the page's CSP needs no 'unsafe-inline'), `attrs`-like strings; `false`,
 * `null` and `undefined` values are left out.
 * @param {string} tag
 * @param {Record<string, unknown>} [props]
 * @param {...(Node | string | null | undefined | false | (Node | string | null | undefined | false)[])} children
 * @returns {HTMLElement}
 */
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  applyProps(el, props);
  append(el, children);
  return el;
}

const SVG_NS = 'http://www.w3.org/2000/svg';

/**
 * An SVG element; props are attributes.
 * @param {string} tag
 * @param {Record<string, string | number | null | undefined>} [attrs]
 * @param {...(Node | string | null | undefined | false | (Node | string | null | undefined | false)[])} children
 * @returns {SVGElement}
 */
export function svg(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value !== null && value !== undefined) el.setAttribute(key, String(value));
  }
  append(el, children);
  return el;
}

/** @param {Element} el @param {Record<string, unknown>} props */
function applyProps(el, props) {
  for (const [key, value] of Object.entries(props)) {
    if (value === false || value === null || value === undefined) continue;
    if (key === 'class') el.className = String(value);
    else if (key === 'text') el.textContent = String(value);
    else if (key === 'dataset') Object.assign(/** @type {HTMLElement} */ (el).dataset, value);
    else if (key === 'style') {
      for (const [prop, v] of Object.entries(/** @type {Record<string, string>} */ (value))) {
        /** @type {HTMLElement} */ (el).style.setProperty(prop, v);
      }
    } else if (key.startsWith('on') && typeof value === 'function') {
      el.addEventListener(key.slice(2).toLowerCase(), /** @type {EventListener} */ (value));
    } else if (value === true) el.setAttribute(key, '');
    else el.setAttribute(key, String(value));
  }
}

/** @param {Element} el @param {unknown[]} children */
function append(el, children) {
  for (const child of children.flat(2)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(typeof child === 'string' || typeof child === 'number' ? String(child) : /** @type {Node} */ (child));
  }
}

/** @param {Element} el @param {...(Node | string | null | undefined | false)} children */
export function replace(el, ...children) {
  el.replaceChildren();
  append(el, children);
}

/**
 * Text with the parts between `start` and `end` markers in <mark> (search
 * snippets). Unbalanced markers are shown as text.
 * @param {string} text @param {{ start: string, end: string }} markers
 * @returns {DocumentFragment}
 */
export function highlighted(text, markers) {
  const fragment = document.createDocumentFragment();
  let rest = text;
  for (;;) {
    const open = rest.indexOf(markers.start);
    const close = open < 0 ? -1 : rest.indexOf(markers.end, open + markers.start.length);
    if (open < 0 || close < 0) break;
    fragment.append(rest.slice(0, open), h('mark', { text: rest.slice(open + markers.start.length, close) }));
    rest = rest.slice(close + markers.end.length);
  }
  fragment.append(rest);
  return fragment;
}

/** Says `message` to screen readers (polite). @param {string} message */
export function announce(message) {
  const region = document.getElementById('announcer');
  if (region) region.textContent = message;
}

/**
 * Makes `el`'s children look like `children`, keeping every node that can stay:
 * a node of the same kind at the same place is kept and brought up to date
 * (attributes, styles through the CSSOM, text, its own children), anything
 * else is replaced. A view re-rendered this way does not detach what the
 * reader is clicking, hovering, selecting or focusing when nothing about it
 * changed. Event listeners of the new nodes are NOT carried over to kept ones:
 * use it only for markup whose handlers are delegated to an ancestor.
 * @param {Element} el @param {...(Node | string | null | undefined | false)} children
 */
export function morph(el, ...children) {
  const fresh = document.createElement(el.tagName);
  append(fresh, children);
  morphChildren(el, fresh);
}

/** @param {Node} into @param {Node} from */
function morphChildren(into, from) {
  const next = [...from.childNodes];
  next.forEach((node, i) => {
    const old = into.childNodes[i];
    if (!old) into.appendChild(node);
    else if (old.isEqualNode(node)) return;
    else if (old.nodeType === Node.TEXT_NODE && node.nodeType === Node.TEXT_NODE) old.textContent = node.textContent;
    else if (old instanceof Element && node instanceof Element && old.tagName === node.tagName && old.namespaceURI === node.namespaceURI) {
      syncAttributes(old, node);
      morphChildren(old, node);
    } else into.replaceChild(node, old);
  });
  while (into.childNodes.length > next.length) /** @type {ChildNode} */ (into.lastChild).remove();
}

/** @param {Element} old @param {Element} node */
function syncAttributes(old, node) {
  for (const { name } of [...old.attributes]) if (name !== 'style' && !node.hasAttribute(name)) old.removeAttribute(name);
  for (const { name, value } of node.attributes) if (name !== 'style' && old.getAttribute(name) !== value) old.setAttribute(name, value);
  // Styles through the CSSOM: the page's CSP has no 'unsafe-inline', which a style attribute would need.
  if (old instanceof HTMLElement && node instanceof HTMLElement && old.style.cssText !== node.style.cssText) {
    for (const prop of [...old.style]) if (!node.style.getPropertyValue(prop)) old.style.removeProperty(prop);
    for (const prop of node.style) old.style.setProperty(prop, node.style.getPropertyValue(prop), node.style.getPropertyPriority(prop));
  }
}

/**
 * Runs `rebuild`, which replaces what `el` holds, and gives each <details> in
 * the new content the open state the reader left its counterpart in: the one
 * with the same summary text in the same step (`data-span-id`) and log record
 * (`data-log-id`), if any.
 * @param {Element} el @param {() => void} rebuild
 */
export function keepDetailsState(el, rebuild) {
  const within = (/** @type {Element} */ d, /** @type {string} */ attribute) => d.closest(`[${attribute}]`)?.getAttribute(attribute) ?? '';
  const key = (/** @type {HTMLDetailsElement} */ d) => [within(d, 'data-span-id'), within(d, 'data-log-id'), d.querySelector(':scope > summary')?.textContent ?? ''].join('\n');
  const before = new Map([...el.querySelectorAll('details')].map((d) => [key(d), d.open]));
  rebuild();
  for (const d of el.querySelectorAll('details')) {
    const open = before.get(key(d));
    if (open !== undefined) d.open = open;
  }
}
