/**
 * Log and metric texts holding U+0000, which PostgreSQL text columns refuse:
 * a batch with one is stored, every field reads back exactly, and a session
 * key maps to the session its spans map it to (span-row.ts `pgText`).
 */

import { describe, expect, it } from 'vitest';
import type { PostgresTraceStore } from '../../src/store/postgres/index.js';
import { openedStores, usePostgres } from '../helpers/postgres-hooks.js';
import { BASE_TIME_UNIX_NANO, makeRecord } from '../helpers/records.js';
import { gauge, makeLog } from './signal-records.js';

const server = usePostgres();
const stores = openedStores();

async function open(): Promise<PostgresTraceStore> {
  return stores.open(await server.createDatabase());
}

describe('PostgreSQL log and metric texts with U+0000', () => {
  it('stores a log record whose severity text, event name and session key hold U+0000, and reads them back', async () => {
    const store = await open();
    const key = 'k\u0000';
    await store.write([makeRecord({ sessionId: key, name: 'step' })]);
    const [session] = (await store.listSessions()).items;
    const log = makeLog({ severityText: 'IN\u0000FO', eventName: 'ev\u0000ent', attributes: { 'session.id': key } });
    await store.writeLogs([log, makeLog({ severityText: 'plain' })]);

    const { items } = await store.listLogs({ sessionId: key });
    expect(items).toHaveLength(1);
    // The record joins the session of the spans keyed the same way.
    expect(items[0]).toMatchObject({ sessionId: session.sessionId, severityText: 'IN\u0000FO', eventName: 'ev\u0000ent' });
    expect(items[0].attributes['session.id']).toBe(key);
    expect((await store.listLogs({ eventName: 'ev\u0000ent' })).items.map((item) => item.eventName)).toEqual(['ev\u0000ent']);
    const plain = (await store.listLogs({})).items.find((item) => item.severityText === 'plain');
    expect(plain).toMatchObject({ eventName: 'claude_code.api_request' });
  });

  it('stores a metric whose name and session key hold U+0000, and reads them back', async () => {
    const store = await open();
    const key = 'm\u0000';
    await store.write([makeRecord({ sessionId: key, name: 'step' })]);
    const [session] = (await store.listSessions()).items;
    await store.writeMetrics([gauge('tokens\u0000used', BASE_TIME_UNIX_NANO, key), gauge('plain', BASE_TIME_UNIX_NANO, null)]);

    const { items } = await store.listMetricPoints({ sessionId: key });
    expect(items.map((point) => [point.name, point.sessionId, point.attributes['session.id']])).toEqual([
      ['tokens\u0000used', session.sessionId, key],
    ]);
    expect((await store.listMetricPoints({ name: 'tokens\u0000used' })).items).toHaveLength(1);
    expect((await store.listMetricPoints({ name: 'plain' })).items.map((point) => point.name)).toEqual(['plain']);
  });
});
