/**
 * A session as both stores' change feeds store it in a `session.updated`
 * event, and its title filled in on read.
 */

import { isTableAgent } from '../../model/agents/index.js';
import { liveSessionOf } from '../../model/live-event.js';
import type { LiveSession } from '../../model/live-event.js';
import type { SessionSummary } from '../../model/types.js';

/** The `sessions` columns a summary is made of, the same in both stores (each picks them from its own row type). */
export type SessionRollupColumn =
  | 'session_id' | 'status' | 'first_start_ns' | 'last_end_ns' | 'last_activity_ns' | 'span_count' | 'llm_call_count'
  | 'tool_call_count' | 'error_count' | 'open_count' | 'interrupted_count' | 'input_tokens' | 'output_tokens'
  | 'reasoning_tokens' | 'cache_read_tokens' | 'cache_write_tokens' | 'cost_usd' | 'supplied_cost_usd'
  | 'computed_cost_usd' | 'unpriced_call_count' | 'models' | 'agent_name' | 'user_id' | 'usage_mismatch';

/** A stored session snapshot: `title` left out when it is looked up on read. */
export type SessionSnapshot = Omit<LiveSession, 'title'> & { title?: string | null };

/**
 * The live view of a session's rollup; `title` left out (looked up on read)
 * unless it is the agent name of no coding agent.
 */
export function sessionSnapshotOf(summary: SessionSummary): SessionSnapshot {
  const { title, ...rest } = liveSessionOf(summary);
  // A coding agent's title is its first prompt: looked up on read, like a session's without an agent name.
  return title === null || isTableAgent(summary.agentName) ? rest : { ...rest, title };
}

/** Gives a read snapshot its looked-up title, in the place `liveSessionOf` puts it (before `lastActivityUnixNano`). */
export function placeTitle(session: LiveSession, title: string | null): void {
  const lastActivity = session.lastActivityUnixNano;
  delete (session as Partial<LiveSession>).lastActivityUnixNano;
  session.title = title;
  session.lastActivityUnixNano = lastActivity;
}
