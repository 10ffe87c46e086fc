/**
 * The log-event helpers of the viewer without a browser (log-events.js builds
 * DOM only when asked to render, so Node loads it as it is served): the
 * severity label the badge shows, and the order the lists are kept in.
 */

import { describe, expect, it } from 'vitest';

interface Log {
  id: number;
  timeUnixNano: string;
  observedTimeUnixNano: string;
}
interface LogEvents {
  severityLevel(n: number): string;
  severityLabel(n: number, text: string): string;
  logTimeNs(log: Log): string;
  compareLogs(a: Log, b: Log): number;
}

const events = (await import(new URL('../../../src/server/viewer/assets/log-events.js', import.meta.url).href)) as LogEvents;

describe('severity', () => {
  it('names each number as the logs data model does (WARN, ERROR2, FATAL4), the sender’s text only for 0', () => {
    const labels = Array.from({ length: 25 }, (_, n) => events.severityLabel(n, 'custom'));
    expect(labels).toEqual([
      'custom',
      ...['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL'].flatMap((name) => [name, `${name}2`, `${name}3`, `${name}4`]),
    ]);
    expect(events.severityLabel(0, '')).toBe('');
    expect(events.severityLabel(25, 'weird')).toBe('weird');
    expect([0, 1, 8, 9, 13, 17, 24].map((n) => events.severityLevel(n))).toEqual(['', 'trace', 'debug', 'info', 'warn', 'error', 'fatal']);
  });
});

describe('order', () => {
  const log = (id: number, time: string, observed = '0'): Log => ({ id, timeUnixNano: time, observedTimeUnixNano: observed });

  it('sorts by time as exact nanoseconds, then by id; a record without a time by when it was observed', () => {
    // Beyond 2^53: a Number comparison would call these equal.
    const late = log(1, '1767607200000000001');
    const early = log(2, '1767607200000000000');
    const observedOnly = log(3, '0', '1767607199999999999');
    const tie = log(0, '1767607200000000001');
    expect([late, early, observedOnly, tie].sort(events.compareLogs).map((l) => l.id)).toEqual([3, 2, 0, 1]);
    expect(events.logTimeNs(observedOnly)).toBe('1767607199999999999');
  });
});
