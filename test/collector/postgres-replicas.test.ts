/**
 * Three `skein serve --db postgres://…` replicas on one database (issue 18), fed by the official OTel
 * SDK and OTLP/HTTP exporter through a failover load balancer, one replica killed (SIGKILL) while
 * requests flow, at the two worst moments at once: it has committed a request whose answer the
 * exporter never gets (so the SDK sends it again, to a survivor), and it has sent the upstream an
 * outbox entry without recording the delivery (so a survivor sends it again once the claim's lease,
 * 40 s by default, runs out). Checked exactly, from PostgreSQL: every acknowledged span stored once,
 * each session's rollup, each budget crossing recorded once, the killed replica's open steps
 * interrupted; and the upstream given every acknowledged span, twice only for a resent request.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SpanKind, context, trace } from '@opentelemetry/api';
import type { Span } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { StoredSpan } from '../../src/model/types.js';
import { encodeTraceRequest } from '../../src/otlp/index.js';
import { PostgresTraceStore } from '../../src/store/postgres/index.js';
import { makeRawSpan } from '../helpers/raw-spans.js';
import { startPostgres } from '../helpers/postgres-server.js';
import type { PostgresServer } from '../helpers/postgres-server.js';
import { cleanup, countIds, spawnServe, tempDir } from '../cli/serve/helpers.js';
import type { ServeChild } from '../cli/serve/helpers.js';
import { waitForOutput } from './serve-child.js';
import { FailoverBalancer, startCrashProxy, startHoldingUpstream } from './replica-balancer.js';
import type { ForwardedRequest } from './replica-balancer.js';

let server: PostgresServer;
beforeAll(async () => {
  // Durable: a replica is killed, and what it acknowledged must be on disk.
  server = await startPostgres({ durable: true });
});
afterAll(async () => {
  await server?.stop();
});
afterEach(async () => {
  await cleanup();
});

const MODEL = 'replica-model';
/** $100 / $200 per million input / output tokens: a call of ~1000 in + 250 out costs ~$0.15. */
const PRICES = { models: { [MODEL]: { inputPerMTok: 100, outputPerMTok: 200 } } };
/** Warning at $0.80 (the 6th call), exceeded at $1.00 (the 7th): no session lands on a threshold. */
const LIMIT_USD = 1;
const SESSIONS = 15;
/** Session s makes 3 + (s % 8) model calls: 3 to 10, so some cross nothing, some warn, some exceed. */
const callsOf = (s: number): number => 3 + (s % 8);
const inputTokensOf = (s: number): number => 1000 + s;
const OUTPUT_TOKENS = 250;
const costOfCall = (s: number): number => (inputTokensOf(s) * 100 + OUTPUT_TOKENS * 200) / 1e6;
const sessionId = (s: number): string => `replicas-${s}`;
const OPEN_SESSION = 'open-on-victim';
const FILLER_SESSION = 'filler';
/** The round from which the victim may be killed (rounds run 0 to 9). */
const KILL_ROUND = 4;

async function sleep(millis: number): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, millis));
}

/** Polls `read` until `done` holds of its value; the test's timeout bounds the wait. */
async function until<T>(read: () => Promise<T>, done: (value: T) => boolean): Promise<T> {
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    await sleep(200);
  }
}

async function allSpans(store: PostgresTraceStore): Promise<StoredSpan[]> {
  const out: StoredSpan[] = [];
  let cursor: string | undefined;
  do {
    const page = await store.getSpans({ limit: 1000, cursor });
    out.push(...page.items);
    cursor = page.nextCursor ?? undefined;
  } while (cursor !== undefined);
  return out;
}

describe('three replicas on one PostgreSQL database, one killed mid-run', () => {
  it('loses no acknowledged span, counts each once, records each budget crossing once, and forwards everything', async () => {
    const url = await server.createDatabase();
    const dir = tempDir();
    writeFileSync(join(dir, 'prices.json'), JSON.stringify(PRICES));
    const configFile = join(dir, 'skein.config.json');
    writeFileSync(configFile, JSON.stringify({ budgets: { session: { maxCostUsd: LIMIT_USD } }, prices: './prices.json' }));
    const upstream = await startHoldingUpstream();

    const args = ['--db', url, '--port', '0', '--grpc-port', 'off', '--forward', upstream.url, '--config', configFile];
    const replicas: ServeChild[] = [];
    for (let i = 0; i < 3; i++) {
      // The header only tells the upstream which replica sent a request.
      const serve = await spawnServe([...args, '--forward-header', `x-replica=${i}`], { via: 'node' });
      await waitForOutput(serve, /^forwarding to: /m);
      replicas.push(serve);
    }
    const VICTIM = 1;
    const victim = replicas[VICTIM];

    // Open steps on the victim (sent raw: an SDK exports only ended spans), for the survivors to mark interrupted.
    const openRoot = makeRawSpan({
      name: 'invoke_agent worker',
      endTimeUnixNano: null,
      attributes: { 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.conversation.id': OPEN_SESSION },
    });
    const openCall = makeRawSpan({
      traceId: openRoot.traceId,
      parentSpanId: openRoot.spanId,
      endTimeUnixNano: null,
      attributes: { ...openRoot.attributes, 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': MODEL },
    });
    const openAnswer = await fetch(`${victim.url}/v1/traces`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-protobuf' },
      body: encodeTraceRequest([openRoot, openCall], 'protobuf'),
    });
    expect(openAnswer.status).toBe(200);
    const openSpanIds = [openRoot.spanId, openCall.spanId];

    // The victim is reached through a pass-through that can lose its last answer.
    const proxy = await startCrashProxy(victim.url);
    const balancer = new FailoverBalancer(
      replicas.map((r, i) => new OTLPTraceExporter({ url: `${i === VICTIM ? proxy.url : r.url}/v1/traces`, timeoutMillis: 3000 })),
    );
    // Three agents, each with its own batch processor: small batches, sent to the replicas in turn.
    const providers = [0, 1, 2].map(
      (a) =>
        new BasicTracerProvider({
          resource: resourceFromAttributes({ 'service.name': `replica-agent-${a}` }),
          spanProcessors: [
            new BatchSpanProcessor(balancer.exporter(a), { maxExportBatchSize: 4, scheduledDelayMillis: 5, maxQueueSize: 10_000 }),
          ],
        }),
    );
    const roots: Span[] = [];
    for (let s = 0; s < SESSIONS; s++) {
      roots.push(
        providers[s % 3].getTracer('replicas').startSpan('invoke_agent worker', {
          attributes: { 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.agent.name': 'worker', 'gen_ai.conversation.id': sessionId(s) },
        }),
      );
    }
    let killed = false;
    let crashAnswer = 0;
    let lostAnswer: string[] = [];
    // The crash, from round KILL_ROUND on, while the rounds go on: once the victim has sent the upstream
    // an outbox entry (held unanswered: it never records the delivery), it is killed right after it
    // commits a request and before its answer reaches the exporter (the SDK sends that request again,
    // to another replica).
    const startCrash = async (): Promise<ForwardedRequest> => {
      const held = await upstream.holdNextFrom(String(VICTIM));
      await proxy.crashOnNextAnswer(async (status, spanIds) => {
        crashAnswer = status;
        lostAnswer = spanIds;
        process.kill(victim.child.pid!, 'SIGKILL');
        await victim.exited;
      });
      killed = true;
      return held;
    };
    let crash: Promise<ForwardedRequest> | undefined;
    const emit = (s: number): void => {
      providers[s % 3]
        .getTracer('replicas')
        .startSpan(
          `chat ${MODEL}`,
          {
            kind: SpanKind.CLIENT,
            attributes: {
              'gen_ai.operation.name': 'chat',
              'gen_ai.provider.name': 'test',
              'gen_ai.request.model': MODEL,
              'gen_ai.conversation.id': sessionId(s),
              'gen_ai.usage.input_tokens': inputTokensOf(s),
              'gen_ai.usage.output_tokens': OUTPUT_TOKENS,
            },
          },
          trace.setSpan(context.active(), roots[s]),
        )
        .end();
    };
    for (let round = 0; round < 10; round++) {
      if (round === KILL_ROUND) crash = startCrash();
      for (let s = 0; s < SESSIONS; s++) if (round < callsOf(s)) emit(s);
      // Until the crash, each round is sent before the next: the victim commits its share of every session.
      if (round < KILL_ROUND) {
        await Promise.all(providers.map((p) => p.forceFlush()));
        await balancer.settled();
      } else await sleep(30);
    }
    // Requests go on (spans of a session without usage) until the crash has happened.
    let fillers = 0;
    while (!killed) {
      providers[fillers % 3].getTracer('replicas').startSpan('tool wait', { attributes: { 'gen_ai.conversation.id': FILLER_SESSION } }).end();
      fillers++;
      await sleep(20);
    }
    const held = await crash!;
    expect(killed).toBe(true);
    expect(crashAnswer).toBe(200);
    expect(lostAnswer.length).toBeGreaterThan(0);
    for (const root of roots) root.end();
    await Promise.all(providers.map((p) => p.forceFlush()));
    await balancer.settled();
    await Promise.all(providers.map((p) => p.shutdown()));
    await balancer.shutdown();

    const { ledger } = balancer;
    const expectedSdkSpans = SESSIONS + Array.from({ length: SESSIONS }, (_, s) => callsOf(s)).reduce((a, b) => a + b, 0) + fillers;
    const notAcknowledged = [...ledger.offered].filter((id) => !ledger.acknowledged.has(id));
    expect({ offered: ledger.offered.size, notAcknowledged }, JSON.stringify(ledger.attempts.filter((a) => !a.ok))).toEqual({
      offered: expectedSdkSpans,
      notAcknowledged: [],
    });
    expect(ledger.acknowledged.size).toBe(expectedSdkSpans);
    expect(ledger.acknowledgedTwice).toEqual([]);
    // The case that matters for rollups: sessions whose spans were committed by several replicas.
    const spread = Array.from({ length: SESSIONS }, (_, s) => sessionId(s)).filter(
      (id) => new Set([...ledger.acknowledged.values()].filter((a) => a.sessionId === id).map((a) => a.replica)).size > 1,
    );
    expect(spread.length).toBeGreaterThan(SESSIONS / 2);
    // Sessions whose spans the victim committed, alongside the survivors.
    const withVictim = spread.filter((id) => [...ledger.acknowledged.values()].some((a) => a.sessionId === id && a.replica === VICTIM));
    expect(withVictim.length).toBeGreaterThan(0);
    // The request whose answer was lost, committed by the victim, was sent again to and acknowledged by a survivor.
    expect(lostAnswer.filter((id) => !ledger.failedOn.get(VICTIM)?.has(id) || ledger.acknowledged.get(id)?.replica === VICTIM)).toEqual([]);

    /** Spans of the requests the victim did not answer: it may have committed them before dying. */
    const unanswered = ledger.failedOn.get(VICTIM) ?? new Set<string>();

    const reader = await PostgresTraceStore.open({ url, readonly: true });
    try {
      // The survivors mark the dead replica's open steps interrupted (its pid is gone: at their next heartbeat).
      const open = await until(
        () => reader.getSession(OPEN_SESSION),
        (s) => s.openCount === 0,
      );
      expect({ interrupted: open.interruptedCount, open: open.openCount, spans: open.spanCount }).toEqual({
        interrupted: 2,
        open: 0,
        spans: 2,
      });

      // Stored: every acknowledged span, once, and nothing else.
      const stored = await allSpans(reader);
      const storedCounts = countIds(stored.map((s) => s.spanId));
      expect([...storedCounts].filter(([, n]) => n > 1)).toEqual([]);
      expect([...storedCounts.keys()].sort()).toEqual([...ledger.acknowledged.keys(), ...openSpanIds].sort());

      for (let s = 0; s < SESSIONS; s++) {
        const id = sessionId(s);
        const calls = callsOf(s);
        const cost = calls * costOfCall(s);
        const session = await reader.getSession(id);
        expect(
          { spans: session.spanCount, llm: session.llmCallCount, input: session.tokens.input, output: session.tokens.output, open: session.openCount },
          id,
        ).toEqual({ spans: calls + 1, llm: calls, input: calls * inputTokensOf(s), output: calls * OUTPUT_TOKENS, open: 0 });
        expect(session.costUsd, id).toBeCloseTo(cost, 9);
        // The rollup agrees with the rows it sums.
        const rows = stored.filter((r) => r.resolvedSessionId === id);
        expect(rows).toHaveLength(calls + 1);

        // Each crossing once, whichever replicas committed the session's spans.
        const events = await reader.getBudgetEvents(id);
        const expectedLevels = [...(cost >= LIMIT_USD * 0.8 ? ['warning'] : []), ...(cost >= LIMIT_USD ? ['exceeded'] : [])];
        expect(events.map((e) => e.level).sort(), id).toEqual(expectedLevels.sort());
        for (const event of events) {
          expect(event.used, id).toBeGreaterThanOrEqual(event.level === 'warning' ? LIMIT_USD * 0.8 : LIMIT_USD);
          expect(rows.map((r) => r.spanId), id).toContain(event.spanId);
          // The crossing span carries the span event, also when it was sent again (a request the victim
          // committed, then resent to a survivor, whose write replaced the stored span); no other span does.
          const marked = rows.filter((r) => r.raw.events.some((e) => e.name === `skein.budget.${event.level}`));
          expect(marked.map((r) => r.spanId), `${id} ${event.level}`).toEqual([event.spanId]);
        }
      }
      // The test covers all three outcomes.
      const levels = await Promise.all(Array.from({ length: SESSIONS }, (_, s) => reader.getBudgetEvents(sessionId(s))));
      expect(new Set(levels.map((e) => e.length))).toEqual(new Set([0, 1, 2]));

      // Budget lines: a crossing is printed by the replica that recorded it, never by two.
      const lines = replicas.flatMap((r) => r.stdout().split('\n').filter((l) => l.startsWith('skein: budget: ')));
      expect([...countIds(lines)].filter(([, n]) => n > 1)).toEqual([]);

      // Forwarded: the outbox drains. The entry the victim sent and never recorded as delivered is
      // claimed by a survivor once the victim's lease runs out (40 s by default), and sent again.
      await until(
        () => reader.outbox().depth(),
        (depth) => depth.every((d) => d.entries === 0),
      );
      expect(await reader.outbox().deadLetters()).toEqual([]);
      expect(held.spanIds.length).toBeGreaterThan(0);
      expect(upstream.requests.filter((r) => r.status !== 200)).toEqual([held]);
      const heldAt = upstream.requests.indexOf(held);
      const resent = upstream.requests.slice(heldAt + 1).filter((r) => r.replica !== String(VICTIM));
      expect(held.spanIds.filter((id) => !resent.some((r) => r.spanIds.includes(id)))).toEqual([]);

      const delivered = countIds(upstream.requests.filter((r) => r.status === 200).flatMap((r) => r.spanIds));
      const acknowledgedIds = [...ledger.acknowledged.keys(), ...openSpanIds];
      expect(acknowledgedIds.filter((id) => !delivered.has(id))).toEqual([]);
      expect([...delivered.keys()].filter((id) => !storedCounts.has(id))).toEqual([]);
      // Once each, but a span of a request the victim committed and did not answer: the SDK sent it
      // again, so the victim's commit and a survivor's both queued it. The lost answer's spans are such.
      expect([...delivered].filter(([id, n]) => n !== 1 && !(n === 2 && unanswered.has(id)))).toEqual([]);
      expect(lostAnswer.map((id) => delivered.get(id))).toEqual(lostAnswer.map(() => 2));
    } catch (error) {
      for (const [i, r] of replicas.entries()) console.error(`replica ${i} stdout:\n${r.stdout()}\nstderr:\n${r.stderr()}`);
      throw error;
    } finally {
      await reader.close();
      await proxy.close();
      await upstream.close();
    }
  }, 180_000);
});
