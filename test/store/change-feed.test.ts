/** The change feed: events appended with the writes that caused them, read by seq. */

import { describe, expect, it } from 'vitest';
import type { ChangeEvent } from '../../src/model/live-event.js';
import { useStoreFile } from '../helpers/store-files.js';
import { BASE_TIME_UNIX_NANO, MILLI, makeLlmRecord, makeRecord, newTraceId, opened } from '../helpers/records.js';

const kinds = (events: ChangeEvent[]) => events.map((e) => e.kind);
const stepKinds = (events: ChangeEvent[]) =>
  events.flatMap((e) => (e.kind === 'span.started' || e.kind === 'span.ended' ? [`${e.kind} ${e.step.name}`] : []));

describe('change feed', () => {
  const { open } = useStoreFile('skein-feed-');

  it('appends a start, an end and the session state, with increasing ids', () => {
    const store = open();
    expect(store.latestChangeSeq()).toBe(0);
    const record = makeLlmRecord({ sessionId: 's1', name: 'plan' });
    store.writeSync([opened(record)]);
    store.writeSync([record]);
    const events = store.readChanges(0, { limit: 100 });
    expect(kinds(events)).toEqual(['span.started', 'session.updated', 'span.ended', 'session.updated']);
    expect(events.map((e) => e.seq)).toEqual([1, 2, 3, 4]);
    expect(store.latestChangeSeq()).toBe(4);

    const [started, running, endedEvent, completed] = events;
    expect(started).toMatchObject({
      kind: 'span.started',
      sessionId: 's1',
      step: { spanId: record.spanId, traceId: record.traceId, open: true, endTimeUnixNano: null, stepType: 'llm' },
    });
    expect(started.atUnixMillis).toBeGreaterThan(0);
    expect(running).toMatchObject({ kind: 'session.updated', session: { sessionId: 's1', status: 'running', openCount: 1 } });
    expect(endedEvent).toMatchObject({
      kind: 'span.ended',
      step: {
        spanId: record.spanId,
        open: false,
        startTimeUnixNano: BASE_TIME_UNIX_NANO.toString(),
        endTimeUnixNano: (BASE_TIME_UNIX_NANO + 100n * MILLI).toString(),
        durationNanos: (100n * MILLI).toString(),
        model: 'gpt-4o-2024-08-06',
        tokens: { input: 100, output: 20 },
        costUsd: 0.25,
        isError: false,
      },
    });
    expect(completed).toMatchObject({
      kind: 'session.updated',
      session: { status: 'completed', spanCount: 1, tokens: { input: 100, output: 20 }, costUsd: 0.25 },
    });
    // Resuming after an id gives exactly what follows it.
    expect(store.readChanges(2, { limit: 100 }).map((e) => e.seq)).toEqual([3, 4]);
    expect(store.readChanges(2, { limit: 1 }).map((e) => e.seq)).toEqual([3]);
    expect(store.readChanges(4, { limit: 100 })).toEqual([]);
  });

  it('shows a step that started and ended before anyone saw it open as a start then an end', () => {
    const store = open();
    const traceId = newTraceId();
    const parent = makeRecord({ traceId, sessionId: 'batch', name: 'parent', stepType: 'agent', endTimeUnixNano: BASE_TIME_UNIX_NANO + 30n * MILLI });
    const child = makeRecord({
      traceId,
      parentSpanId: parent.spanId,
      name: 'child',
      stepType: 'tool',
      startTimeUnixNano: BASE_TIME_UNIX_NANO + 5n * MILLI,
      endTimeUnixNano: BASE_TIME_UNIX_NANO + 25n * MILLI,
    });
    // Open and ended records of one step in one batch, and a parent that arrives complete.
    store.writeSync([opened(parent), opened(child), child, parent]);
    const events = store.readChanges(0, { limit: 100 });
    // In the order things happened, not the order of the records.
    expect(stepKinds(events)).toEqual(['span.started parent', 'span.started child', 'span.ended child', 'span.ended parent']);
    expect(kinds(events).slice(-1)).toEqual(['session.updated']);
    expect(events.filter((e) => e.kind === 'session.updated')).toHaveLength(1);
  });

  it('ends a parent after its children even when its end is stamped a little earlier', () => {
    const store = open();
    const traceId = newTraceId();
    const root = makeRecord({ traceId, sessionId: 'skew', name: 'root', endTimeUnixNano: BASE_TIME_UNIX_NANO + 50n * MILLI });
    const child = makeRecord({
      traceId,
      parentSpanId: root.spanId,
      name: 'child',
      startTimeUnixNano: BASE_TIME_UNIX_NANO + 10n * MILLI,
      endTimeUnixNano: BASE_TIME_UNIX_NANO + 50n * MILLI + 500_000n,
    });
    store.writeSync([root, child]);
    expect(stepKinds(store.readChanges(0, { limit: 100 }))).toEqual([
      'span.started root',
      'span.started child',
      'span.ended child',
      'span.ended root',
    ]);
  });

  it('adds no step event for a duplicate delivery or a late open record', () => {
    const store = open();
    const record = makeRecord({ sessionId: 'dup', name: 'once' });
    store.writeSync([record]);
    const before = store.latestChangeSeq();
    store.writeSync([record]);
    store.writeSync([opened(record)]);
    const after = store.readChanges(before, { limit: 100 });
    expect(stepKinds(after)).toEqual([]);
    expect(stepKinds(store.readChanges(0, { limit: 100 }))).toEqual(['span.started once', 'span.ended once']);
  });

  it('filters by session without losing order', () => {
    const store = open();
    for (let i = 0; i < 3; i++) {
      store.writeSync([makeRecord({ sessionId: 'a', name: `a${i}` }), makeRecord({ sessionId: 'b', name: `b${i}` })]);
    }
    const onlyA = store.readChanges(0, { sessionId: 'a', limit: 100 });
    expect(onlyA.every((e) => e.sessionId === 'a')).toBe(true);
    expect(stepKinds(onlyA)).toEqual(['a0', 'a1', 'a2'].flatMap((n) => [`span.started ${n}`, `span.ended ${n}`]));
    const seqs = onlyA.map((e) => e.seq);
    expect(seqs).toEqual([...seqs].sort((x, y) => x - y));
    expect(store.readChanges(seqs[2], { sessionId: 'a', limit: 100 })[0].seq).toBe(seqs[3]);
    expect(store.readChanges(0, { sessionId: 'nobody', limit: 100 })).toEqual([]);
  });

  it('leaves no event behind when the transaction rolls back', () => {
    const store = open();
    expect(() =>
      store.transaction(() => {
        store.writeSync([makeRecord({ sessionId: 'rolled-back', name: 'lost' })]);
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(store.readChanges(0, { limit: 100 })).toEqual([]);
    store.writeSync([makeRecord({ sessionId: 'kept', name: 'kept' })]);
    const events = store.readChanges(0, { limit: 100 });
    expect(stepKinds(events)).toEqual(['span.started kept', 'span.ended kept']);
    expect(events.every((e) => e.sessionId === 'kept')).toBe(true);
  });

  it('says a session is updated when a late session key moves its steps', () => {
    const store = open();
    const traceId = newTraceId();
    store.writeSync([makeRecord({ traceId, name: 'child' })]);
    const before = store.latestChangeSeq();
    store.writeSync([makeRecord({ traceId, sessionId: 'keyed', name: 'root' })]);
    const updates = store.readChanges(before, { limit: 100 }).filter((e) => e.kind === 'session.updated');
    expect(updates.map((e) => e.sessionId)).toEqual(['keyed']);
    expect(updates[0]).toMatchObject({ session: { spanCount: 2 } });
  });

  it('sees commits of another connection through commitVersion, and only then', () => {
    const writer = open();
    const reader = open({ readonly: true });
    const version = reader.commitVersion();
    expect(reader.commitVersion()).toBe(version);
    writer.writeSync([makeRecord({ sessionId: 'x' })]);
    const moved = reader.commitVersion();
    expect(moved).not.toBe(version);
    expect(reader.readChanges(0, { limit: 100 }).length).toBeGreaterThan(0);
    // Its own commits move it too (SQLite's data_version does not count them).
    const own = writer.commitVersion();
    writer.writeSync([makeRecord({ sessionId: 'x' })]);
    expect(writer.commitVersion()).not.toBe(own);
  });

  it('keeps about maxEvents, never splitting a step start from its end, and reports what it trimmed', () => {
    const store = open({ changeFeed: { maxEvents: 6 } });
    // 3 events per write: start, end, session.
    for (let i = 0; i < 5; i++) store.writeSync([makeRecord({ sessionId: 'many', name: `s${i}` })]);
    expect(store.changeFeedState()).toEqual({ latestSeq: 15, trimmedThroughSeq: 9 });
    expect(store.readChanges(0, { limit: 100 }).map((e) => e.seq)).toEqual([10, 11, 12, 13, 14, 15]);

    const tight = open({ changeFeed: { maxEvents: 5 } });
    // A cut after 10 would keep s3's end (11) without its start (10): it keeps one more instead.
    tight.writeSync([makeRecord({ sessionId: 'many', name: 's5' })]);
    expect(tight.changeFeedState()).toEqual({ latestSeq: 18, trimmedThroughSeq: 12 });
    const kept = tight.readChanges(0, { limit: 100 });
    expect(kept.map((e) => e.seq)).toEqual([13, 14, 15, 16, 17, 18]);
    expect(kept[0]).toMatchObject({ kind: 'span.started', step: { name: 's4' } });
  });

  it('reads a step known only once ended as two events, resumable between them', () => {
    const store = open();
    const record = makeLlmRecord({ sessionId: 'pair', name: 'quick' });
    store.writeSync([record]);
    const [started, endedEvent] = store.readChanges(0, { limit: 100 });
    expect(started).toMatchObject({ seq: 1, kind: 'span.started', step: { open: true, endTimeUnixNano: null, tokens: {}, costUsd: null } });
    expect(endedEvent).toMatchObject({ seq: 2, kind: 'span.ended', step: { open: false, costUsd: 0.25 } });
    // The started view is exactly what an open record would have shown.
    store.writeSync([opened(makeLlmRecord({ sessionId: 'pair', name: 'slow' }))]);
    const openStep = store.readChanges(3, { limit: 100 })[0];
    expect(openStep.kind).toBe('span.started');
    const strip = (step: object) => ({ ...step, spanId: '', traceId: '', name: '' });
    if (started.kind !== 'span.started' || openStep.kind !== 'span.started') throw new Error('unreachable');
    expect(strip(started.step)).toEqual(strip(openStep.step));
    // A limit of one, or a resume between the two, splits them.
    expect(store.readChanges(0, { limit: 1 }).map((e) => e.seq)).toEqual([1]);
    expect(store.readChanges(1, { limit: 100 }).map((e) => e.seq)).toEqual([2, 3, 4, 5]);
    expect(store.readChanges(0, { sessionId: 'pair', limit: 2 }).map((e) => e.kind)).toEqual(['span.started', 'span.ended']);
  });

  it('trims by age and never reuses an id, even once every event is gone', async () => {
    const store = open({ changeFeed: { maxAgeMillis: 0 } });
    store.writeSync([makeRecord({ sessionId: 'old' })]);
    const first = store.latestChangeSeq();
    expect(first).toBe(3);
    // maxAgeMillis 0 keeps only events committed in the current millisecond: wait for the clock to move.
    const start = Date.now();
    while (Date.now() === start) await new Promise((r) => setTimeout(r, 1));
    store.writeSync([makeRecord({ sessionId: 'new' })]);
    const events = store.readChanges(0, { limit: 100 });
    expect(events.map((e) => e.seq)).toEqual([4, 5, 6]);
    expect(events.every((e) => e.sessionId === 'new')).toBe(true);
    expect(store.changeFeedState()).toEqual({ trimmedThroughSeq: 3, latestSeq: 6 });
    const later = Date.now();
    while (Date.now() === later) await new Promise((r) => setTimeout(r, 1));
    // Only a trim (in a write) can empty the feed; the ids still go on.
    store.writeSync([makeRecord({ sessionId: 'newer' })]);
    expect(store.readChanges(0, { limit: 100 })[0].seq).toBe(7);
  });

  it('says which steps were interrupted when a silent writer is judged dead', async () => {
    const a = open();
    const b = open();
    const record = makeRecord({ sessionId: 'silent', name: 'stuck' });
    a.writeSync([opened(record)]);
    const before = b.latestChangeSeq();
    // a is alive in this very process: spared when asked to spare live local writers.
    expect(b.markInterrupted({ silentForMillis: 0, spareLiveLocalWriters: true })).toBe(0);
    expect(b.readChanges(before, { limit: 100 })).toEqual([]);
    await new Promise((r) => setTimeout(r, 2));
    expect(b.markInterrupted({ silentForMillis: 1 })).toBe(1);
    const events = b.readChanges(before, { limit: 100 });
    expect(kinds(events)).toEqual(['session.interrupted', 'session.updated']);
    expect(events[0]).toMatchObject({ sessionId: 'silent', steps: [{ traceId: record.traceId, spanId: record.spanId }] });
    expect(events[1]).toMatchObject({ session: { status: 'interrupted', interruptedCount: 1 } });
    // Nothing left to mark: no more events.
    expect(b.markInterrupted({ silentForMillis: 1 })).toBe(0);
    expect(b.latestChangeSeq()).toBe(events[1].seq);
    // A late end still completes the step, and the stream shows it end.
    a.writeSync([record]);
    const late = b.readChanges(events[1].seq, { limit: 100 });
    expect(stepKinds(late)).toEqual(['span.ended stuck']);
    expect(late.at(-1)).toMatchObject({ kind: 'session.updated', session: { status: 'completed' } });
  });

  it('says so when a store closes with its own steps still open', () => {
    const store = open();
    store.writeSync([opened(makeRecord({ sessionId: 'closing' }))]);
    store.closeSync();
    const reader = open({ readonly: true });
    expect(kinds(reader.readChanges(0, { limit: 100 })).slice(-2)).toEqual(['session.interrupted', 'session.updated']);
  });

  it('builds a step from its span when read, and leaves out steps whose span is gone', async () => {
    const store = open();
    const kept = makeLlmRecord({ sessionId: 'keep', name: 'kept' });
    const gone = makeLlmRecord({ sessionId: 'gone', name: 'gone' });
    store.writeSync([kept]);
    store.writeSync([gone]);
    const before = store.readChanges(0, { limit: 100 });
    expect(stepKinds(before)).toEqual(['span.started kept', 'span.ended kept', 'span.started gone', 'span.ended gone']);
    const ended = before.find((e) => e.kind === 'span.ended' && e.step.name === 'kept');
    expect(ended).toMatchObject({ step: { spanId: kept.spanId, tokens: { input: 100, output: 20 }, costUsd: 0.25 } });

    await store.deleteSession('gone');
    const after = store.readChanges(0, { limit: 100 });
    expect(stepKinds(after)).toEqual(['span.started kept', 'span.ended kept']);
    // Ids stay those of the feed: the kept steps' events read the same as before.
    const ids = (events: ChangeEvent[]) =>
      events.filter((e) => e.kind === 'span.started' || e.kind === 'span.ended').map((e) => e.seq);
    expect(ids(after)).toEqual(ids(before).slice(0, 2));
    // A session update is a snapshot of its moment: it stays, though the session is gone.
    expect(after.filter((e) => e.kind === 'session.updated').map((e) => e.sessionId)).toEqual(['keep', 'gone']);
  });

  it('refuses reads on a closed store', () => {
    const store = open();
    store.closeSync();
    expect(() => store.readChanges(0, { limit: 1 })).toThrow(/closed/);
    expect(() => store.commitVersion()).toThrow(/closed/);
  });
});
