import type { AttributeValue, Attributes } from '../model/types.js';

/**
 * Sets one attribute. A key named `__proto__` would otherwise replace the
 * object's prototype instead of becoming an attribute, so it is defined as an
 * own property. Keys are unique per the spec; if a sender repeats one, the last wins.
 */
export function setAttribute(target: Attributes, key: string, value: AttributeValue): void {
  if (key === '__proto__') {
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    target[key] = value;
  }
}

/** Deep equality of attribute values (bigint, bytes, arrays and kvlists included). */
export function attributeValuesEqual(a: AttributeValue, b: AttributeValue): boolean {
  if (a === b) return true;
  if (typeof a === 'number' && typeof b === 'number') return Number.isNaN(a) && Number.isNaN(b);
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return false;
  if (a instanceof Uint8Array || b instanceof Uint8Array) {
    return a instanceof Uint8Array && b instanceof Uint8Array && Buffer.compare(a, b) === 0;
  }
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((item, i) => attributeValuesEqual(item, b[i]));
  }
  return attributesEqual(a, b);
}

export function attributesEqual(a: Attributes, b: Attributes): boolean {
  if (a === b) return true;
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  return keys.every((key) => Object.prototype.hasOwnProperty.call(b, key) && attributeValuesEqual(a[key], b[key]));
}
