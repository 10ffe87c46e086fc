import { createHash, timingSafeEqual } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';

export interface TokenAuthOptions {
  token: string;
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

/**
 * Requires `Authorization: Bearer <token>` on every route. Both sides are
 * hashed first so the compare is constant-time whatever the lengths.
 */
export function tokenAuth({ token }: TokenAuthOptions): MiddlewareHandler {
  const expected = digest(token);
  return async function requireToken(c, next) {
    const header = c.req.header('authorization') ?? '';
    const match = /^Bearer\s+(.+)$/i.exec(header.trim());
    if (!match || !timingSafeEqual(digest(match[1]), expected)) {
      c.header('WWW-Authenticate', 'Bearer realm="skein"');
      return c.json({ error: { code: 'unauthorized', message: 'missing or wrong bearer token' } }, 401);
    }
    await next();
  };
}
