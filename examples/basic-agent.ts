/**
 * A scripted agent recorded by Skein in-process: a fake model (no network)
 * answers a question in a few turns with tool calls and a reasoning step; the
 * session's summary is then read back from the store and printed.
 *
 *   npm run example [-- path/to/skein.db]
 *
 * Without a path it writes where `skein serve` reads by default ($SKEIN_DB, or
 * ~/.skein/skein.db), so a collector started with `npm start` shows the
 * session live in its viewer while this runs.
 */
import { mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import { AgentTracer, SkeinSpanProcessor, SqliteTraceStore } from '../src/index.js';
import type { GenAiMessage, ModelUsage, SessionSummary } from '../src/index.js';

interface FakeTurn {
  usage: ModelUsage;
  toolCall?: { name: keyof typeof tools; arguments: Record<string, string> };
  text?: string;
}

// What the fake model answers, turn by turn.
const script: FakeTurn[] = [
  { usage: { inputTokens: 420, outputTokens: 38 }, toolCall: { name: 'search_docs', arguments: { query: 'span processor flush' } } },
  { usage: { inputTokens: 910, outputTokens: 52, cacheReadTokens: 400 }, toolCall: { name: 'read_file', arguments: { path: 'docs/processor.md' } } },
  {
    usage: { inputTokens: 1730, outputTokens: 260, reasoningTokens: 120, cacheReadTokens: 900 },
    text: 'Spans are written in batches: on size, on a 200 ms timer, on forceFlush, shutdown and process exit.',
  },
];

const tools = {
  search_docs: (args: Record<string, string>) => [{ path: 'docs/processor.md', score: 0.92, query: args.query }],
  read_file: (args: Record<string, string>) => `# ${args.path}\nThe processor batches writes, one transaction per batch.`,
};

async function fakeModel(turn: number): Promise<FakeTurn> {
  await sleep(5);
  return script[turn];
}

function outputMessages(turn: FakeTurn): GenAiMessage[] {
  if (turn.toolCall !== undefined) {
    const { name, arguments: args } = turn.toolCall;
    return [{ role: 'assistant', parts: [{ type: 'tool_call', id: `call-${name}`, name, arguments: args }], finish_reason: 'tool_call' }];
  }
  return [{ role: 'assistant', parts: [{ type: 'text', content: turn.text ?? '' }], finish_reason: 'stop' }];
}

const dbPath = process.argv[2] ?? process.env.SKEIN_DB ?? join(homedir(), '.skein', 'skein.db');
mkdirSync(dirname(dbPath), { recursive: true });
const store = new SqliteTraceStore({ path: dbPath });
const processor = new SkeinSpanProcessor({ store });
const provider = new BasicTracerProvider({ spanProcessors: [processor] });
const agent = new AgentTracer(provider.getTracer('basic-agent', '1.0.0'));

const question = 'When does the Skein processor write spans?';
const sessionId = await agent.session({ agentName: 'docs-helper', userId: 'example-user' }, async (session) => {
  let model = 'gpt-4o-mini';
  agent.modelSelected(model, 'short question: start with the small model');
  for (let turn = 0; turn < script.length; turn++) {
    if (turn === 2) {
      agent.modelSwitched(model, 'gpt-4o', 'the file made the context long');
      model = 'gpt-4o';
    }
    const answer = await agent.modelCall({ provider: 'openai', model }, async (call) => {
      call.recordInput(turn === 0 ? question : `${question} (turn ${turn + 1}, with tool results)`);
      const response = await fakeModel(turn);
      call.setResponseModel(model);
      call.recordUsage(response.usage);
      call.recordOutput(outputMessages(response));
      return response;
    });
    if (answer.toolCall !== undefined) {
      const { name, arguments: args } = answer.toolCall;
      await agent.toolCall({ name, callId: `call-${name}`, arguments: args }, async () => {
        await sleep(2);
        return tools[name](args);
      });
    }
    if (turn === 1) {
      agent.reasoning({ name: 'decide next step' }, (step) =>
        step.recordText('The file answers the question; one more model call with a larger model to write it up.'),
      );
    }
  }
  return session.sessionId;
});

// Shuts the Skein processor down too: everything recorded is written when this resolves.
await provider.shutdown();
const summary: SessionSummary = await store.getSession(sessionId);
await store.close();

const durationMillis = summary.lastEndUnixNano === null ? null : Number((summary.lastEndUnixNano - summary.firstStartUnixNano) / 1_000_000n);
const lines = [
  `session: ${summary.sessionId}`,
  `status: ${summary.status}`,
  `agent: ${summary.agentName ?? '-'}`,
  `user: ${summary.userId ?? '-'}`,
  `steps: ${summary.spanCount}`,
  `model calls: ${summary.llmCallCount}`,
  `tool calls: ${summary.toolCallCount}`,
  `errors: ${summary.errorCount}`,
  `tokens: input ${summary.tokens.input}, output ${summary.tokens.output}, reasoning ${summary.tokens.reasoning}, cache read ${summary.tokens.cacheRead}, cache write ${summary.tokens.cacheWrite}`,
  `cost usd: ${summary.costUsd.toFixed(6)} (computed ${summary.computedCostUsd.toFixed(6)}, supplied ${summary.suppliedCostUsd.toFixed(6)}, unpriced calls ${summary.unpricedCallCount})`,
  `models: ${summary.models.join(', ')}`,
  `duration ms: ${durationMillis ?? 'open'}`,
  `database: ${dbPath}`,
];
process.stdout.write(`${lines.join('\n')}\n`);
