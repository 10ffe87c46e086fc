/** Attribute filters as people type them (`attr.k=v` in the API, `--attr k=v` in the CLI). */

/** `attr.k=v` values: numbers and booleans as typed (the store matches by JSON type), a quoted value as the string inside. */
export function parseAttributeValue(raw: string): string | number | boolean {
  if (raw.length >= 2 && raw.startsWith('"') && raw.endsWith('"')) return raw.slice(1, -1);
  if (raw === 'true') return true;
  if (raw === 'false') return false;
  if (/^-?\d+(\.\d+)?([eE][-+]?\d+)?$/.test(raw)) return Number(raw);
  return raw;
}
