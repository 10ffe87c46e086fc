import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startCollector } from '../../src/collector/start-collector.js';
import type { RunningCollector } from '../../src/collector/start-collector.js';
import { createPriceTable } from '../../src/model/pricing.js';
import type { PriceTable } from '../../src/model/pricing.js';
import { encodeTraceRequest } from '../../src/otlp/index.js';
import { makeRawSpan } from '../helpers/raw-spans.js';
import { cleanup, readAllSpans, tempDir } from '../cli/serve/helpers.js';

const collectors: RunningCollector[] = [];
afterEach(async () => {
  await Promise.all(collectors.splice(0).map((c) => c.close()));
  await cleanup();
});

const PRICE = { inputPerMTok: 1_000_000, outputPerMTok: 0 }; // $1 per input token

/** A model call of the house model with 3 input tokens: $3 by PRICE. */
const houseCall = () =>
  makeRawSpan({
    attributes: {
      'gen_ai.operation.name': 'chat',
      'gen_ai.request.model': 'house-model',
      'gen_ai.usage.input_tokens': 3,
      'gen_ai.usage.output_tokens': 0,
    },
  });

async function storeOne(prices: PriceTable | undefined) {
  const dbPath = join(tempDir(), 'skein.db');
  const collector = await startCollector({ dbPath, port: 0, normalize: prices === undefined ? undefined : { prices } });
  collectors.push(collector);
  const span = houseCall();
  const res = await fetch(`${collector.url}/v1/traces`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-protobuf' },
    body: encodeTraceRequest([span], 'protobuf'),
  });
  expect(res.status).toBe(200);
  // Connections that registered as writers of this file from this process: the collector's, and its thread's.
  const writers = collector.store.database.prepare('SELECT count(*) FROM writers WHERE pid = ?').pluck().get(process.pid);
  return { collector, dbPath, span, writers };
}

describe("the collector's writer thread", () => {
  it('commits on its own connection, with the price table the collector was given', async () => {
    const { collector, dbPath, span, writers } = await storeOne(createPriceTable({ 'house-model': PRICE }));
    expect(writers).toBe(2);
    await collector.close();
    const [stored] = await readAllSpans(dbPath);
    expect(stored.spanId).toBe(span.spanId);
    expect(stored.cost).toMatchObject({ usd: 3, source: 'computed' });
  });

  it("is not used with a price table of the app's own making: the collector's thread commits with it", async () => {
    const own: PriceTable = { lookup: (model) => (model === 'house-model' ? PRICE : undefined) };
    const { collector, dbPath, writers } = await storeOne(own);
    expect(writers).toBe(1);
    await collector.close();
    const [stored] = await readAllSpans(dbPath);
    expect(stored.cost).toMatchObject({ usd: 3, source: 'computed' });
  });
});
