/**
 * The OTLP/HTTP load generator of bench/ingest-http.ts, for benches that
 * drive more than one collector (bench/pg-ingest.ts): the same agent-workload
 * request bodies, the same keep-alive clients each sending its next request as
 * soon as the previous one is answered; with several ports, request i goes to
 * port i mod n (round-robin), each port with its own connections.
 */
import { Agent, request } from 'node:http';
import { encodeTraceRequest } from '../../src/otlp/index.js';
import { workload } from './agent-workload.js';

export type OtlpFormat = 'protobuf' | 'json';

export const SPANS_PER_REQUEST = 100;

/** `requests` bodies of `SPANS_PER_REQUEST` spans each, every span new (agent sessions, bench/lib/agent-workload.ts). */
export function traceBodies(requests: number, format: OtlpFormat): Buffer[] {
  // ~40 sessions' worth per 2,400 spans; enough for every request to be new.
  const spans = workload(Math.ceil((requests * SPANS_PER_REQUEST) / 60) + 10);
  if (spans.length < requests * SPANS_PER_REQUEST) throw new Error('workload too small');
  const out: Buffer[] = [];
  for (let i = 0; i < requests; i++) {
    out.push(Buffer.from(encodeTraceRequest(spans.slice(i * SPANS_PER_REQUEST, (i + 1) * SPANS_PER_REQUEST), format)));
  }
  return out;
}

/** The answer's status, with the start of its body when it is not 200. */
export function postTraces(agent: Agent, port: number, body: Buffer, format: OtlpFormat): Promise<{ status: number; refusal?: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        agent,
        host: '127.0.0.1',
        port,
        path: '/v1/traces',
        method: 'POST',
        headers: {
          'content-type': format === 'json' ? 'application/json' : 'application/x-protobuf',
          'content-length': body.length,
        },
      },
      (res) => {
        const status = res.statusCode ?? 0;
        if (status === 200) {
          res.resume();
          res.on('end', () => resolve({ status }));
          return;
        }
        let text = '';
        res.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve({ status, refusal: `${status} ${res.headers['retry-after'] ? `(Retry-After ${res.headers['retry-after']}) ` : ''}${text.slice(0, 200)}` }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

export interface LoadResult {
  requests: number;
  /** Requests answered with anything but 200 (their spans are not stored). */
  failed: number;
  /** The first of those answers: status and the start of the body. */
  firstRefusal: string | null;
  /** From the first request sent to the last one answered. */
  seconds: number;
  p50: number;
  p99: number;
}

export interface LoadOptions {
  ports: readonly number[];
  payloads: readonly Buffer[];
  format: OtlpFormat;
  clients: number;
  /** Stop sending new requests after this long. */
  maxSeconds: number;
}

/** Sends every payload once, `clients` at a time, request i to `ports[i % ports.length]`. */
export async function loadOtlp(options: LoadOptions): Promise<LoadResult> {
  const { ports, payloads, format, clients } = options;
  const agents = ports.map(() => new Agent({ keepAlive: true, maxSockets: clients }));
  const latencies: number[] = [];
  let next = 0;
  let failed = 0;
  let firstRefusal: string | null = null;
  const deadline = performance.now() + options.maxSeconds * 1000;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (next < payloads.length && performance.now() < deadline) {
        const at = next++;
        const target = at % ports.length;
        const start = performance.now();
        const { status, refusal } = await postTraces(agents[target], ports[target], payloads[at], format);
        latencies.push(performance.now() - start);
        if (status !== 200) {
          failed++;
          firstRefusal ??= refusal ?? String(status);
        }
      }
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  for (const agent of agents) agent.destroy();
  latencies.sort((a, b) => a - b);
  const q = (p: number): number => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))];
  return { requests: latencies.length, failed, firstRefusal, seconds, p50: q(0.5), p99: q(0.99) };
}
