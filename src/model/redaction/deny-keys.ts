/**
 * Attribute keys whose values are secrets whatever they look like: the value
 * is replaced whole, without looking at it.
 */

/**
 * Globs matched against the whole key, case-insensitively; `*` matches any
 * run of characters, dots included. Nested map values are matched by their
 * dotted path (`config.db.password`).
 */
export const DEFAULT_DENY_KEYS: readonly string[] = [
  '*password',
  '*passwd',
  '*secret',
  '*api_key',
  '*apikey',
  '*api-key',
  '*access_token',
  '*refresh_token',
  '*id_token',
  '*auth_token',
  '*auth-token',
  '*session_token',
  '*private_key',
  '*secret_key',
  '*secret_access_key',
  '*credentials',
  'db.connection_string',
  'http.request.header.authorization',
  'http.request.header.proxy-authorization',
  'http.request.header.cookie',
  'http.response.header.set-cookie',
];

/** Decisions kept per distinct key: keys repeat on every span, globs are not worth re-running. */
const MAX_CACHED_KEYS = 4096;

export type DenyKeyMatcher = (key: string) => boolean;

const NEVER: DenyKeyMatcher = () => false;

function globSource(glob: string): string {
  return glob
    .split('*')
    .map((part) => part.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&'))
    .join('[\\s\\S]*');
}

/** One matcher for all globs (a single anchored alternation), caching its answer per key. */
export function compileDenyKeys(globs: readonly string[]): DenyKeyMatcher {
  const usable = globs.filter((glob) => glob.length > 0);
  if (usable.length === 0) return NEVER;
  const pattern = new RegExp(`^(?:${usable.map(globSource).join('|')})$`, 'i');
  const cache = new Map<string, boolean>();
  return function isDeniedKey(key: string): boolean {
    let denied = cache.get(key);
    if (denied === undefined) {
      denied = pattern.test(key);
      // Unbounded distinct keys (ids in key names) must not grow the cache forever.
      if (cache.size >= MAX_CACHED_KEYS) cache.clear();
      cache.set(key, denied);
    }
    return denied;
  };
}
