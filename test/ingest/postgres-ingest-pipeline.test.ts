/**
 * createPgIngestPipeline used directly, with no tuning options and no `afterCommit`: what it
 * acknowledges is committed (a callback left out once skipped the commit itself).
 */
import { describe, expect, it } from 'vitest';
import { createPgIngestPipeline } from '../../src/ingest/ingest-pipeline.js';
import { resolveIngestSettings } from '../../src/ingest/ingest-settings.js';
import { openedStores, usePostgres } from '../helpers/postgres-hooks.js';
import { makeRawSpan } from '../helpers/raw-spans.js';

const server = usePostgres();
const stores = openedStores();

describe('createPgIngestPipeline', () => {
  it('commits what it acknowledges, without an afterCommit callback', async () => {
    const store = await stores.open(await server.createDatabase());
    const pipeline = createPgIngestPipeline({ store, settings: resolveIngestSettings({}) });
    await pipeline.ingest([makeRawSpan({ attributes: { 'gen_ai.operation.name': 'chat', 'gen_ai.conversation.id': 'no-callback' } })]);
    await pipeline.close();
    expect((await store.getSession('no-callback')).spanCount).toBe(1);
  });
});
