/**
 * A session as both stores' change feeds store it in a `session.updated`
 * event, and its title filled in on read.
 */

import { isTableAgent } from '../../model/agents/index.js';
import { liveSessionOf } from '../../model/live-event.js';
import type { LiveSession } from '../../model/live-event.js';
import type { SessionSummary } from '../../model/types.js';

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
