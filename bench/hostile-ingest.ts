/**
 * The hostile-input workloads of the "Hostile input" issue, against the real
 * collector (`startCollector`, in a child process so its RSS is its own):
 *
 *   npx tsx bench/hostile-ingest.ts memory [--requests 32] [--mib 60]
 *   npx tsx bench/hostile-ingest.ts stall  [--mib 60] [--spans 200000]
 *   npx tsx bench/hostile-ingest.ts backpressure [--clients 32] [--spans 5000] [--seconds 30]
 *
 * - memory: `requests` concurrent gzip OTLP/JSON requests of ~61 KB each,
 *   every one inflating to a `mib` MiB string attribute. Prints the answers'
 *   statuses, the server's peak RSS (sampled from /proc every 10 ms, and its
 *   maxRSS) and its RSS 2 s after the last answer.
 * - stall: `GET /healthz` every 5 ms while one big request is being decoded
 *   (a `mib` MiB OTLP/JSON body of big integers; then a `spans`-span
 *   protobuf request). Prints the big request's duration and the slowest
 *   /healthz answer during it.
 * - backpressure: `clients` clients each sending `spans`-span protobuf
 *   requests back to back for `seconds`. Prints how many were acknowledged,
 *   how many of those took over 10 s (the OTel SDKs' export timeout, after
 *   which they send again: duplicates), and how many were refused with 503.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { encodeTraceRequest } from '../src/otlp/index.js';
import type { RawSpan } from '../src/model/types.js';
import { serverMaxRssKb, startIngestServer, stopIngestServer } from './lib/ingest-server-process.js';

function option(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? Number(process.argv[at + 1]) : fallback;
}
const mode = process.argv[2];
const MIB = option('mib', 60);

function rssMib(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) / 1024 : NaN;
}

function send(
  agent: Agent,
  port: number,
  method: string,
  path: string,
  body?: Buffer,
  headers: Record<string, string> = {},
): Promise<{ status: number; millis: number }> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = request(
      { agent, host: '127.0.0.1', port, path, method, headers: body ? { ...headers, 'content-length': String(body.byteLength) } : headers },
      (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0, millis: performance.now() - started }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const hex = (n: number, width: number) => n.toString(16).padStart(width, '0');

/** One span with one attribute whose value is `bytes` of 'a': tiny once gzipped. */
function bigStringJson(i: number, bytes: number): Buffer {
  const head = `{"resourceSpans":[{"resource":{"attributes":[]},"scopeSpans":[{"scope":{"name":"bench"},"spans":[{"traceId":"${hex(i + 1, 32)}","spanId":"${hex(i + 1, 16)}","name":"big","kind":1,"startTimeUnixNano":"1700000000000000000","endTimeUnixNano":"1700000001000000000","attributes":[{"key":"big","value":{"stringValue":"`;
  const tail = '"}}]}]}]}]}';
  return Buffer.concat([Buffer.from(head), Buffer.alloc(bytes, 'a'), Buffer.from(tail)]);
}

/** One span whose attribute is an array of unquoted integers past 2^53, `bytes` long. */
function bigIntegersJson(bytes: number): Buffer {
  const head =
    '{"resourceSpans":[{"resource":{"attributes":[]},"scopeSpans":[{"scope":{"name":"bench"},"spans":[{"traceId":"0000000000000000000000000000abcd","spanId":"000000000000abcd","name":"ints","kind":1,"startTimeUnixNano":"1700000000000000000","endTimeUnixNano":"1700000001000000000","attributes":[{"key":"ints","value":{"arrayValue":{"values":[';
  const item = '{"intValue":9007199254740993},';
  const count = Math.floor(bytes / item.length);
  return Buffer.from(head + item.repeat(count - 1) + item.slice(0, -1) + ']}}}]}]}]}]}');
}

function manySpansProtobuf(count: number, firstId = 0): Buffer {
  const spans: RawSpan[] = [];
  const resource = { attributes: { 'service.name': 'bench' }, droppedAttributesCount: 0, schemaUrl: '' };
  const scope = { name: 'bench', version: '', attributes: {}, droppedAttributesCount: 0, schemaUrl: '' };
  for (let i = 0; i < count; i++) {
    spans.push({
      traceId: hex(Math.floor((firstId + i) / 100) + 1, 32),
      spanId: hex(firstId + i + 1, 16),
      parentSpanId: null,
      traceState: '',
      flags: 1,
      name: 'tool call',
      kind: 1,
      startTimeUnixNano: 1_700_000_000_000_000_000n + BigInt(i),
      endTimeUnixNano: 1_700_000_000_000_000_000n + BigInt(i) + 1000n,
      attributes: { 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': 'search' },
      droppedAttributesCount: 0,
      events: [],
      droppedEventsCount: 0,
      links: [],
      droppedLinksCount: 0,
      statusCode: 0,
      statusMessage: '',
      resource,
      scope,
    });
  }
  return Buffer.from(encodeTraceRequest(spans, 'protobuf'));
}

async function memory(dir: string): Promise<void> {
  const requests = option('requests', 32);
  const bodies = Array.from({ length: requests }, (_, i) => gzipSync(bigStringJson(i, MIB * 1024 * 1024)));
  console.log(`${requests} gzip bodies of ${(bodies[0].byteLength / 1024).toFixed(0)} KB, each inflating to ${MIB} MiB`);
  const { child, port } = await startIngestServer('full', join(dir, 'memory.db'));
  const pid = child.pid ?? 0;
  const idle = rssMib(pid);
  let peak = idle;
  const sampler = setInterval(() => (peak = Math.max(peak, rssMib(pid))), 10);
  const agent = new Agent({ keepAlive: true, maxSockets: requests });
  const started = performance.now();
  const answers = await Promise.all(
    bodies.map((body) =>
      send(agent, port, 'POST', '/v1/traces', body, { 'content-type': 'application/json', 'content-encoding': 'gzip' }),
    ),
  );
  const seconds = (performance.now() - started) / 1000;
  const counts = new Map<number, number>();
  for (const { status } of answers) counts.set(status, (counts.get(status) ?? 0) + 1);
  await new Promise((resolve) => setTimeout(resolve, 2000));
  clearInterval(sampler);
  const after = rssMib(pid);
  const maxRss = (await serverMaxRssKb(child)) / 1024;
  agent.destroy();
  await stopIngestServer(child);
  console.log(
    `answers ${JSON.stringify(Object.fromEntries(counts))} in ${seconds.toFixed(1)} s; RSS idle ${idle.toFixed(0)} MiB, ` +
      `peak ${peak.toFixed(0)} MiB (maxRSS ${maxRss.toFixed(0)} MiB), 2 s after ${after.toFixed(0)} MiB`,
  );
}

async function stallDuring(port: number, label: string, body: Buffer, contentType: string): Promise<void> {
  const bigAgent = new Agent({ keepAlive: true, maxSockets: 1 });
  const probeAgent = new Agent({ keepAlive: true, maxSockets: 1 });
  await send(probeAgent, port, 'GET', '/healthz');
  let done = false;
  const big = send(bigAgent, port, 'POST', '/v1/traces', body, { 'content-type': contentType }).finally(() => (done = true));
  const probes: number[] = [];
  while (!done) {
    probes.push((await send(probeAgent, port, 'GET', '/healthz')).millis);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  const { status, millis } = await big;
  probes.sort((a, b) => a - b);
  console.log(
    `${label}: ${(body.byteLength / 1024 / 1024).toFixed(1)} MiB answered ${status} in ${millis.toFixed(0)} ms; ` +
      `/healthz during it: ${probes.length} probes, max ${probes.at(-1)?.toFixed(0)} ms, ` +
      `p50 ${probes[Math.floor(probes.length / 2)]?.toFixed(1)} ms`,
  );
  bigAgent.destroy();
  probeAgent.destroy();
}

async function stall(dir: string): Promise<void> {
  const { child, port } = await startIngestServer('full', join(dir, 'stall.db'));
  await stallDuring(port, 'JSON big integers', bigIntegersJson(MIB * 1024 * 1024), 'application/json');
  await stallDuring(port, 'protobuf many spans', manySpansProtobuf(option('spans', 200_000)), 'application/x-protobuf');
  await stopIngestServer(child);
}

async function backpressure(dir: string): Promise<void> {
  const clients = option('clients', 32);
  const perRequest = option('spans', 5_000);
  const seconds = option('seconds', 30);
  const { child, port } = await startIngestServer('full', join(dir, 'backpressure.db'));
  const agent = new Agent({ keepAlive: true, maxSockets: clients });
  const deadline = performance.now() + seconds * 1000;
  let nextId = 0;
  const acknowledged: number[] = [];
  const statuses = new Map<number, number>();
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (performance.now() < deadline) {
        const body = manySpansProtobuf(perRequest, nextId);
        nextId += perRequest;
        const { status, millis } = await send(agent, port, 'POST', '/v1/traces', body, { 'content-type': 'application/x-protobuf' });
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
        if (status === 200) acknowledged.push(millis);
        else await new Promise((resolve) => setTimeout(resolve, 1000)); // as an SDK honouring Retry-After: 1
      }
    }),
  );
  agent.destroy();
  await stopIngestServer(child);
  acknowledged.sort((a, b) => a - b);
  const over10 = acknowledged.filter((ms) => ms > 10_000).length;
  console.log(
    `${clients} clients x ${perRequest} spans for ${seconds} s: answers ${JSON.stringify(Object.fromEntries(statuses))}; ` +
      `acknowledged ${acknowledged.length}, ${over10} of them after more than 10 s; ` +
      `p50 ${acknowledged[Math.floor(acknowledged.length / 2)]?.toFixed(0)} ms, max ${acknowledged.at(-1)?.toFixed(0)} ms`,
  );
}

const dir = mkdtempSync(join(tmpdir(), 'skein-hostile-'));
try {
  if (mode === 'memory') await memory(dir);
  else if (mode === 'stall') await stall(dir);
  else if (mode === 'backpressure') await backpressure(dir);
  else throw new Error('usage: tsx bench/hostile-ingest.ts memory|stall|backpressure');
} finally {
  rmSync(dir, { recursive: true, force: true });
}
