import { AsyncLocalStorage } from 'node:async_hooks';
import { ROOT_CONTEXT, context, createContextKey } from '@opentelemetry/api';
import type { Context } from '@opentelemetry/api';

/** The session id of the innermost `AgentTracer.session()` around the current code. */
export const SESSION_ID_KEY = createContextKey('skein.session.id');

// The OTel API only propagates context when a context manager is registered,
// and `BasicTracerProvider` registers none. AgentTracer keeps its own
// AsyncLocalStorage so nested steps nest either way.
const storage = new AsyncLocalStorage<Context>();

/**
 * The context a new step starts in. A registered context manager wins (it also
 * sees spans the app started by hand); without one, the API's context is
 * always ROOT and the AgentTracer's own storage is used.
 */
export function activeAgentContext(): Context {
  const active = context.active();
  if (active !== ROOT_CONTEXT) return active;
  return storage.getStore() ?? active;
}

/** Runs `fn` with `ctx` active for both the OTel API and AgentTracer's own storage. */
export function withAgentContext<T>(ctx: Context, fn: () => T): T {
  return storage.run(ctx, () => context.with(ctx, fn));
}

/** The session id active around the caller, if any. */
export function activeSessionId(): string | undefined {
  const value = activeAgentContext().getValue(SESSION_ID_KEY);
  return typeof value === 'string' ? value : undefined;
}
