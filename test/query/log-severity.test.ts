import { describe, expect, it } from 'vitest';
import { parseSeverity, severityLabel } from '../../src/query/log-severity.js';

describe('parseSeverity', () => {
  it('reads level names (any case) as the first number of their range, and numbers 0-24', () => {
    expect(['trace', 'debug', 'info', 'warn', 'error', 'fatal'].map(parseSeverity)).toEqual([1, 5, 9, 13, 17, 21]);
    expect(parseSeverity('ERROR')).toBe(17);
    expect(parseSeverity(' Warn ')).toBe(13);
    expect(parseSeverity('0')).toBe(0);
    expect(parseSeverity('24')).toBe(24);
  });

  it('refuses anything else', () => {
    for (const raw of ['', 'warning', '25', '-1', '1.5', '100', 'hasOwnProperty', 'constructor']) {
      expect(parseSeverity(raw), raw).toBeNull();
    }
  });
});

describe('severityLabel', () => {
  it('names a number by its level and step, else uses the sender text', () => {
    expect(severityLabel(9, '')).toBe('INFO');
    expect(severityLabel(10, 'info')).toBe('INFO2');
    expect(severityLabel(16, '')).toBe('WARN4');
    expect(severityLabel(17, 'whatever')).toBe('ERROR');
    expect(severityLabel(24, '')).toBe('FATAL4');
    expect(severityLabel(0, 'notice')).toBe('notice');
    expect(severityLabel(0, '')).toBe('-');
  });
});
