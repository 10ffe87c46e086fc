/**
 * What the multi-replica crash test (postgres-replicas.test.ts) puts around
 * three `skein serve` replicas: a failover load balancer as the SDK's
 * exporter, a pass-through that loses one answer of a replica, and an
 * upstream that holds one forwarded request unanswered.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { ExportResultCode } from '@opentelemetry/core';
import type { ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';
import { decodeTraceRequest } from '../../src/otlp/index.js';

export interface Acknowledgement {
  replica: number;
  sessionId: string | null;
}

export interface BalancerLedger {
  /** Span id → the replica that acknowledged it. */
  acknowledged: Map<string, Acknowledgement>;
  /** Span ids acknowledged more than once (the SDK exports each span once: should stay empty). */
  acknowledgedTwice: string[];
  /** Replica → span ids of its requests that were not acknowledged (and went to another replica). */
  failedOn: Map<number, Set<string>>;
  /** Every span id the SDK handed to an export, acknowledged or not. */
  offered: Set<string>;
  /** Every attempt, in the order they ended: for failure messages. */
  attempts: Array<{ replica: number; spanIds: string[]; ok: boolean; error?: string }>;
}

/**
 * A failover load balancer in front of several collectors, as an OTel SDK's
 * exporter: each batch goes to the next replica in turn; a batch that fails
 * there (after the real exporter's own retries) marks the replica down and
 * goes to the next one. It records which spans each replica acknowledged:
 * a span is acknowledged only when an export of it answered SUCCESS, never
 * because forceFlush resolved.
 */
export class FailoverBalancer {
  readonly ledger: BalancerLedger = { acknowledged: new Map(), acknowledgedTwice: [], failedOn: new Map(), offered: new Set(), attempts: [] };
  private readonly down = new Set<number>();
  private readonly sending = new Set<Promise<ExportResult>>();
  private readonly sendingWaiters = new Map<number, Array<(spans: ReadableSpan[]) => void>>();

  constructor(private readonly replicas: readonly SpanExporter[]) {}

  /** An exporter for one SDK pipeline; `start` staggers where each pipeline's rotation begins. */
  exporter(start: number): SpanExporter {
    let next = start;
    return {
      export: (spans, done) => {
        const sent = this.send(spans, () => next++);
        this.sending.add(sent);
        void sent.then((result) => {
          this.sending.delete(sent);
          done(result);
        });
      },
      shutdown: async () => undefined,
      forceFlush: async () => undefined,
    };
  }

  /** Resolves with its spans when the next request to `replica` starts. */
  whenSending(replica: number): Promise<ReadableSpan[]> {
    return new Promise((resolve) => {
      const waiters = this.sendingWaiters.get(replica) ?? [];
      waiters.push(resolve);
      this.sendingWaiters.set(replica, waiters);
    });
  }

  /**
   * Resolves once no batch is being sent. A batch processor's forceFlush does
   * not wait for a batch its timer started, which may be failing over.
   */
  async settled(): Promise<void> {
    while (this.sending.size > 0) await Promise.all(this.sending);
  }

  async shutdown(): Promise<void> {
    await this.settled();
    await Promise.all(this.replicas.map((r) => r.shutdown()));
  }

  private pick(turn: () => number): number {
    for (;;) {
      const replica = turn() % this.replicas.length;
      if (!this.down.has(replica) || this.down.size === this.replicas.length) return replica;
    }
  }

  private async send(spans: ReadableSpan[], turn: () => number): Promise<ExportResult> {
    let result: ExportResult = { code: ExportResultCode.FAILED };
    for (const span of spans) this.ledger.offered.add(span.spanContext().spanId);
    for (let attempt = 0; attempt < 10; attempt++) {
      const replica = this.pick(turn);
      const waiters = this.sendingWaiters.get(replica) ?? [];
      this.sendingWaiters.delete(replica);
      result = await new Promise<ExportResult>((resolve) => {
        this.replicas[replica].export(spans, resolve);
        for (const wake of waiters) wake(spans);
      });
      const ids = spans.map((s) => s.spanContext().spanId);
      this.ledger.attempts.push({ replica, spanIds: ids, ok: result.code === ExportResultCode.SUCCESS, error: result.error?.message });
      if (result.code === ExportResultCode.SUCCESS) {
        for (const [i, id] of ids.entries()) {
          if (this.ledger.acknowledged.has(id)) this.ledger.acknowledgedTwice.push(id);
          const session = spans[i].attributes['gen_ai.conversation.id'];
          this.ledger.acknowledged.set(id, { replica, sessionId: typeof session === 'string' ? session : null });
        }
        return result;
      }
      const failed = this.ledger.failedOn.get(replica) ?? new Set<string>();
      for (const id of ids) failed.add(id);
      this.ledger.failedOn.set(replica, failed);
      // Never mark the last replica up down: with none left, every one is tried again.
      if (this.down.size < this.replicas.length - 1) this.down.add(replica);
    }
    return result;
  }
}

export interface CrashProxy {
  url: string;
  /** The next answer `target` gives is not passed on: `onAnswer` runs (the test kills the replica), and the client's connection is cut. */
  crashOnNextAnswer(onAnswer: (status: number, spanIds: string[]) => void | Promise<void>): Promise<void>;
  close(): Promise<void>;
}

/**
 * An HTTP pass-through to one replica that can lose an answer the replica
 * has given: what a client sees when a replica commits a request and dies
 * before its answer gets out. Requests the replica cannot be reached for
 * get their connection cut too (a network error, for the exporter to retry).
 */
export async function startCrashProxy(target: string): Promise<CrashProxy> {
  let armed: { onAnswer: (status: number, spanIds: string[]) => void | Promise<void>; done: () => void } | null = null;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        const headers: Record<string, string> = {};
        for (const name of ['content-type', 'content-encoding']) {
          const value = req.headers[name];
          if (typeof value === 'string') headers[name] = value;
        }
        let answer: Response;
        try {
          answer = await fetch(`${target}${req.url ?? '/'}`, { method: req.method, headers, body: Buffer.concat(chunks) });
        } catch {
          res.socket?.destroy();
          return;
        }
        const body = Buffer.from(await answer.arrayBuffer());
        if (armed !== null) {
          const { onAnswer, done } = armed;
          armed = null;
          const format = headers['content-type']?.includes('json') ? 'json' : 'protobuf';
          const sent = Buffer.concat(chunks);
          const plain = headers['content-encoding'] === 'gzip' ? gunzipSync(sent) : sent;
          await onAnswer(answer.status, decodeTraceRequest(plain, format).spans.map((s) => s.spanId));
          res.socket?.destroy();
          done();
          return;
        }
        res.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'application/octet-stream' });
        res.end(body);
      })();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    crashOnNextAnswer: (onAnswer) => new Promise<void>((done) => (armed = { onAnswer, done })),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export interface ForwardedRequest {
  /** The `x-replica` header the replica was started with (`--forward-header x-replica=<n>`). */
  replica: string | undefined;
  spanIds: string[];
  /** 200 once answered; null while held, or for good when the sender died holding it. */
  status: number | null;
}

export interface HoldingUpstream {
  url: string;
  requests: ForwardedRequest[];
  /** Resolves with it when a request from `replica` arrives; that request is never answered. */
  holdNextFrom(replica: string): Promise<ForwardedRequest>;
  close(): Promise<void>;
}

/**
 * The OTLP/HTTP upstream the replicas forward to: records each request and
 * the replica that sent it, answers 200, except one request it can hold
 * unanswered (so that its sender dies between sending and recording the delivery).
 */
export async function startHoldingUpstream(): Promise<HoldingUpstream> {
  let hold: { replica: string; got: (request: ForwardedRequest) => void } | null = null;
  const requests: ForwardedRequest[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let body: Buffer = Buffer.concat(chunks);
      if (req.headers['content-encoding'] === 'gzip') body = gunzipSync(body);
      const format = req.headers['content-type']?.includes('json') ? 'json' : 'protobuf';
      const header = req.headers['x-replica'];
      const request: ForwardedRequest = {
        replica: typeof header === 'string' ? header : undefined,
        spanIds: decodeTraceRequest(body, format).spans.map((s) => s.spanId),
        status: null,
      };
      requests.push(request);
      if (hold !== null && hold.replica === request.replica) {
        hold.got(request);
        hold = null;
        return;
      }
      request.status = 200;
      res.writeHead(200, { 'content-type': 'application/x-protobuf' });
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    holdNextFrom: (replica) => new Promise((got) => (hold = { replica, got })),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
