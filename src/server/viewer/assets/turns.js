// A coding agent's session as turns: which turn each model call and tool call
// belongs to, and each turn's totals. No DOM (Node loads it as served, for tests).
//
// A step belongs to its nearest `turn` ancestor (Claude Code's interaction span,
// or the turn Skein made from its `user_prompt` event). A step with no turn among
// its ancestors (Gemini CLI and Codex send every call in its own trace, or beside
// the turn) belongs to the latest turn that started at or before it; one that
// started before every turn goes to a group without a prompt, shown first.

/**
 * @typedef {{
 *   spanId: string, traceId: string, parentSpanId: string | null, name: string, stepType: string,
 *   startTimeUnixNano: string, endTimeUnixNano: string | null, isError: boolean,
 *   tokens?: Record<string, number | undefined>, costUsd?: number | null,
 * } & Record<string, any>} TurnStep
 * @typedef {{ step: TurnStep, nesting: number }} TurnCall `nesting`: how many tool calls it runs inside (a subagent's calls: 1)
 * @typedef {{
 *   turn: TurnStep | null, calls: TurnCall[], llmCount: number, toolCount: number, errorCount: number,
 *   tokens: { input: number, output: number, reasoning: number, cacheRead: number, cacheWrite: number },
 *   costUsd: number | null, unpricedCount: number,
 * }} Turn
 */

const CALL_TYPES = new Set(['llm', 'tool']);
const TOKEN_KEYS = /** @type {const} */ (['input', 'output', 'reasoning', 'cacheRead', 'cacheWrite']);

/** Whether any step is a turn: the session page then opens on its turns. @param {Iterable<TurnStep>} steps */
export function hasTurns(steps) {
  for (const step of steps) if (step.stepType === 'turn') return true;
  return false;
}

/** @param {TurnStep} a @param {TurnStep} b */
function byStart(a, b) {
  const x = BigInt(a.startTimeUnixNano);
  const y = BigInt(b.startTimeUnixNano);
  return x < y ? -1 : x > y ? 1 : 0;
}

/**
 * The nearest `turn` among the step's ancestors, and how many tool calls lie between.
 * @param {TurnStep} step @param {Map<string, TurnStep>} byId
 */
function ancestorTurn(step, byId) {
  let nesting = 0;
  const seen = new Set([step.spanId]);
  let parentId = step.parentSpanId;
  while (parentId !== null && parentId !== undefined && !seen.has(parentId)) {
    seen.add(parentId);
    const parent = byId.get(parentId);
    if (parent === undefined) break;
    if (parent.stepType === 'turn') return { turn: parent, nesting };
    if (parent.stepType === 'tool') nesting++;
    parentId = parent.parentSpanId;
  }
  return { turn: null, nesting };
}

/**
 * The latest turn started at or before `step` (turns sorted by start), else null.
 * @param {TurnStep[]} turns @param {TurnStep} step
 */
function latestTurnBefore(turns, step) {
  const start = BigInt(step.startTimeUnixNano);
  let found = null;
  for (const turn of turns) {
    if (BigInt(turn.startTimeUnixNano) > start) break;
    found = turn;
  }
  return found;
}

/** @param {TurnStep | null} turn @returns {Turn} */
function emptyTurn(turn) {
  return { turn, calls: [], llmCount: 0, toolCount: 0, errorCount: 0, tokens: { input: 0, output: 0, reasoning: 0, cacheRead: 0, cacheWrite: 0 }, costUsd: null, unpricedCount: 0 };
}

/**
 * The session's turns in start order, each with its model and tool calls in start order.
 * @param {Iterable<TurnStep>} steps
 * @returns {Turn[]}
 */
export function groupTurns(steps) {
  const all = [...steps];
  const byId = new Map(all.map((s) => [s.spanId, s]));
  const turnSteps = all.filter((s) => s.stepType === 'turn').sort(byStart);
  const groups = new Map(turnSteps.map((t) => [t.spanId, emptyTurn(t)]));
  const before = emptyTurn(null);
  for (const step of all) {
    if (!CALL_TYPES.has(step.stepType)) continue;
    const { turn, nesting } = ancestorTurn(step, byId);
    const owner = turn ?? latestTurnBefore(turnSteps, step);
    const group = owner === null ? before : /** @type {Turn} */ (groups.get(owner.spanId));
    group.calls.push({ step, nesting });
  }
  const turns = before.calls.length > 0 ? [before, ...groups.values()] : [...groups.values()];
  for (const turn of turns) {
    turn.calls.sort((a, b) => byStart(a.step, b.step));
    for (const { step } of turn.calls) addUp(turn, step);
  }
  return turns;
}

/** @param {Turn} turn @param {TurnStep} step */
function addUp(turn, step) {
  if (step.isError) turn.errorCount++;
  if (step.stepType === 'tool') {
    turn.toolCount++;
    return;
  }
  turn.llmCount++;
  for (const key of TOKEN_KEYS) turn.tokens[key] += step.tokens?.[key] ?? 0;
  if (typeof step.costUsd === 'number') turn.costUsd = (turn.costUsd ?? 0) + step.costUsd;
  else turn.unpricedCount++;
}

/** The traces that hold turns, model calls or tool calls (not an agent's other traces). @param {Iterable<TurnStep>} steps */
export function turnTraceIds(steps) {
  const ids = new Set();
  for (const step of steps) if (step.stepType === 'turn' || CALL_TYPES.has(step.stepType)) ids.add(step.traceId);
  return [...ids];
}
