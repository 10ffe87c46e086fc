import { parseArgs } from 'node:util';
import { formatCount, formatDurationNanos, formatTimestamp, formatUsd } from '../../model/human-units.js';
import type { TimelineStep, TreeNode } from '../../model/query.js';
import type { SessionSummary, StoredSpan } from '../../model/types.js';
import { sessionDetailJson, spanKey, stepJson, treeJson } from '../../query/json-views.js';
import { sessionBudget } from '../../query/session-budget.js';
import type { SessionBudgetView } from '../../query/session-budget.js';
import { sessionModels, sessionSpans } from '../../query/store-reads.js';
import { budgetLines } from '../budget-output.js';
import type { SessionModelUsage } from '../../query/store-reads.js';
import type { CliCommand } from '../command.js';
import { loadConfigFlag } from '../config-file.js';
import { withTraceStore } from '../open-store.js';
import { colourEnabled, createStyle, durationBar, plural, renderTable, writeJson } from '../output.js';
import type { Style } from '../output.js';
import { COMMON_FLAGS, COMMON_HELP, positionals } from '../query-flags.js';

const HELP = `Usage: skein show <session> [options]

Shows one session: its summary, its budget, cost per model, and every step
on a time axis with its duration, tokens, cost and errors.

Options:
  --tree               show steps nested under their parents (default: start order, indented)
  --config <file>      budgets to show the session against (default: ./skein.config.json when it
                       exists); crossings recorded in the database show either way
${COMMON_HELP}

Examples:
  skein show 6f1c2e0a-…
  skein show my-session --tree
  skein show my-session --json | jq '.steps[] | select(.isError)'`;

const BAR_WIDTH = 24;

function tokensOf(step: TimelineStep): string {
  const t = step.tokens;
  if (t.input === undefined && t.output === undefined) return '';
  return `${formatCount(t.input ?? 0)}→${formatCount(t.output ?? 0)}`;
}

function header(s: SessionSummary, models: readonly SessionModelUsage[], budget: SessionBudgetView | null, style: Style, redacted = 0): string {
  const duration = s.lastEndUnixNano === null ? 'running' : formatDurationNanos(s.lastEndUnixNano - s.firstStartUnixNano);
  const lines = [
    `${style.bold(`session ${s.sessionId}`)}  ${s.status}`,
    `started ${formatTimestamp(s.firstStartUnixNano)} · ${duration} · agent ${s.agentName ?? '—'} · user ${s.userId ?? '—'}`,
    `${plural(s.spanCount, 'step')} · ${plural(s.llmCallCount, 'model call')} · ${plural(s.toolCallCount, 'tool call')} · ` +
      `${s.errorCount > 0 ? style.red(plural(s.errorCount, 'error')) : '0 errors'}` +
      (s.interruptedCount > 0 ? ` · ${style.yellow(`${s.interruptedCount} interrupted`)}` : '') +
      (redacted > 0 ? ` · ${plural(redacted, 'value')} redacted` : ''),
    `tokens: ${formatCount(s.tokens.input)} in · ${formatCount(s.tokens.output)} out · ${formatCount(s.tokens.reasoning)} reasoning · ` +
      `${formatCount(s.tokens.cacheRead)} cache read · ${formatCount(s.tokens.cacheWrite)} cache write`,
    `cost: ${formatUsd(s.costUsd)} (computed ${formatUsd(s.computedCostUsd)}, supplied ${formatUsd(s.suppliedCostUsd)})` +
      (s.unpricedCallCount > 0 ? style.yellow(` · ${plural(s.unpricedCallCount, 'call')} with no price`) : ''),
    ...budgetLines(budget, style),
  ];
  if (models.length > 0) {
    lines.push(
      '',
      renderTable(
        models,
        [
          { header: 'MODEL', value: (m) => m.model },
          { header: 'CALLS', align: 'right', value: (m) => String(m.calls) },
          { header: 'IN', align: 'right', value: (m) => formatCount(m.tokens.input) },
          { header: 'OUT', align: 'right', value: (m) => formatCount(m.tokens.output) },
          { header: 'COST', align: 'right', value: (m) => formatUsd(m.costUsd) },
        ],
        style,
      ),
    );
  }
  return lines.join('\n');
}

interface Row {
  step: TimelineStep;
  /** Indentation (timeline) or tree connectors (--tree). */
  prefix: string;
}

function stepTable(rows: readonly Row[], session: SessionSummary, spans: ReadonlyMap<string, StoredSpan>, style: Style): string {
  const origin = session.firstStartUnixNano;
  const end = rows.reduce((max, r) => {
    const e = r.step.endTimeUnixNano ?? r.step.startTimeUnixNano;
    return e > max ? e : max;
  }, session.lastEndUnixNano ?? origin);
  const total = end - origin;
  return renderTable(
    rows,
    [
      {
        header: 'STEP',
        value: (r) => {
          const name = `${r.prefix}${r.step.name}`;
          return r.step.isError ? style.red(name) : name;
        },
      },
      { header: 'TYPE', value: (r) => style.dim(r.step.stepType) },
      {
        header: 'TIMELINE',
        value: (r) => {
          const bar = durationBar(r.step.startTimeUnixNano - origin, r.step.durationNanos, total, BAR_WIDTH);
          return r.step.isError ? style.red(bar) : r.step.stepType === 'llm' ? style.magenta(bar) : style.cyan(bar);
        },
      },
      {
        header: 'DURATION',
        align: 'right',
        value: (r) =>
          r.step.open ? style.cyan('running') : r.step.interrupted ? style.yellow('interrupted') : formatDurationNanos(r.step.durationNanos),
      },
      { header: 'TOKENS', align: 'right', value: (r) => tokensOf(r.step) },
      { header: 'COST', align: 'right', value: (r) => (r.step.costUsd === null ? '' : formatUsd(r.step.costUsd)) },
      {
        header: 'NOTE',
        value: (r) => {
          const span = spans.get(spanKey(r.step.traceId, r.step.spanId));
          if (r.step.isError) return style.red(span?.statusMessage || 'error');
          return r.step.model ?? r.step.toolName ?? '';
        },
      },
    ],
    style,
  );
}

function treeRows(nodes: readonly TreeNode[], lead = '', rows: Row[] = [], top = true): Row[] {
  nodes.forEach((node, i) => {
    const last = i === nodes.length - 1;
    rows.push({ step: node, prefix: top ? '' : `${lead}${last ? '└─ ' : '├─ '}` });
    treeRows(node.children, top ? '' : `${lead}${last ? '   ' : '│  '}`, rows, false);
  });
  return rows;
}

export const showCommand: CliCommand = {
  name: 'show',
  summary: 'one session: summary, per-model cost and a timeline of its steps',
  help: HELP,
  async run(argv, io) {
    const { values, positionals: rest } = parseArgs({ args: argv, strict: true, allowPositionals: true, options: { ...COMMON_FLAGS, tree: { type: 'boolean', default: false }, config: { type: 'string' } } });
    const [sessionId] = positionals(rest, ['session']);
    const budgets = loadConfigFlag(values.config)?.budgets;
    const data = await withTraceStore(io, { db: values.db, mode: 'read' }, async (store) => {
      const session = await store.getSession(sessionId);
      const models = await sessionModels(store, sessionId);
      const spans = new Map((await sessionSpans(store, sessionId)).map((s) => [spanKey(s.traceId, s.spanId), s]));
      const steps = await store.getTimeline(sessionId);
      const roots = values.tree ? await store.getTree(sessionId) : [];
      const budget = await sessionBudget(store, sessionId, budgets);
      return { session, models, spans, steps, roots, budget };
    });
    const { session, models, spans, steps, roots, budget } = data;
    const redacted = [...spans.values()].reduce((n, span) => n + span.counts.redacted, 0);
    if (values.json) {
      const detail = sessionDetailJson(session, models, budget, redacted);
      writeJson(
        io,
        values.tree
          ? { session: detail, roots: treeJson(roots, spans) }
          : { session: detail, steps: steps.map((s) => stepJson(s, spans.get(spanKey(s.traceId, s.spanId)))) },
      );
      return 0;
    }
    const style = createStyle(colourEnabled(io));
    const rows = values.tree ? treeRows(roots) : steps.map((step) => ({ step, prefix: '  '.repeat(step.depth) }));
    io.stdout.write(`${header(session, models, budget, style, redacted)}\n\n${stepTable(rows, session, spans, style)}\n`);
    return 0;
  },
};
