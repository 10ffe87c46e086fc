import { afterEach, describe, expect, it } from 'vitest';
import { encodeTraceRequest } from '../../../src/otlp/index.js';
import { makeRawSpan } from '../../helpers/raw-spans.js';
import { closeAll, openRaw, parseRawResponse, postHead, startTestCollector } from './http-helpers.js';

afterEach(closeAll);

describe('a client that half-closes after its request', () => {
  it('gets its answer before the server closes, and the span is stored once', async () => {
    const collector = await startTestCollector();
    const span = makeRawSpan();
    const body = encodeTraceRequest([span], 'protobuf');
    const raw = await openRaw(collector.port);
    raw.socket.write(postHead(body, `127.0.0.1:${collector.port}`));
    raw.socket.write(body);
    // The full request is sent; the client shuts its write side (FIN), as `curl` piping a file or a
    // one-shot script does, and waits for the answer.
    raw.socket.end();

    const response = parseRawResponse(await raw.closed);
    expect(response?.status).toBe(200);
    expect(response?.headers['content-type']).toBe('application/x-protobuf');
    // An ExportTraceServiceResponse without partial_success is the empty message.
    expect(response?.body.length).toBe(0);

    const stored = await collector.store.getSpans({ limit: 10 });
    expect(stored.items.map((s) => s.spanId)).toEqual([span.spanId]);
  });

  it('a JSON export answered the same way', async () => {
    const collector = await startTestCollector();
    const spans = [makeRawSpan(), makeRawSpan()];
    const body = encodeTraceRequest(spans, 'json');
    const raw = await openRaw(collector.port);
    raw.socket.end(Buffer.concat([Buffer.from(postHead(body, 'localhost:4318', 'application/json')), body]));

    const response = parseRawResponse(await raw.closed);
    expect(response?.status).toBe(200);
    expect(JSON.parse(response!.body.toString('utf8'))).toEqual({});
    const stored = await collector.store.getSpans({ limit: 10 });
    expect(stored.items.map((s) => s.spanId).sort()).toEqual(spans.map((s) => s.spanId).sort());
  });
});
