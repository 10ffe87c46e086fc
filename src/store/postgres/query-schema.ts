/** Indexes of the read side in PostgreSQL: full-text search and stats. */

export const QUERY_SCHEMA = `
CREATE INDEX spans_fts ON spans USING gin (fts);
-- Stats (span-stats.ts) read model calls by start time: this partial index holds them alone, with every
-- column the stats read (INCLUDE), so a time range is an index-only scan of the calls in it.
CREATE INDEX spans_llm_start ON spans (start_ns) INCLUDE (model, provider, agent_name, user_id, resolved_session_id,
  end_ns, is_error, c_input, c_output, c_reasoning, c_cache_read, c_cache_write, c_supplied_usd, c_computed_usd)
  WHERE c_llm = 1;
`;
