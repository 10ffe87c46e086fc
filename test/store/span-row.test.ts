/** The span upsert's parameters (span-row.ts): their order is the statement's. */

import { describe, expect, it } from 'vitest';
import { spanContribution } from '../../src/model/rollup.js';
import { SPAN_COLUMNS, spanParams, spanValues } from '../../src/store/sqlite/span-row.js';
import { makeLlmRecord, makeRecord, opened } from '../helpers/records.js';

describe('span row parameters', () => {
  const context = (record: Parameters<typeof spanContribution>[0], keys: boolean) => ({
    resolvedSessionId: 's',
    contribution: spanContribution(record),
    writerId: null,
    resourceId: 1,
    scopeId: 2,
    attributeKeysId: keys ? () => 3 : undefined,
  });

  it('lists the values in SPAN_COLUMNS order, whatever the record holds', () => {
    const records = [
      makeRecord({ raw: { attributes: { a: 1, b: 'two' } } }),
      makeLlmRecord({ input: { text: 'hello there', originalLength: 11, truncated: false }, output: null }),
      opened(makeRecord({ raw: { attributes: {} } })),
    ];
    for (const record of records) {
      for (const keys of [true, false]) {
        const params = spanParams(record, context(record, keys));
        // spanValues takes the object's values as they are: its keys must be the columns, in order.
        expect(Object.keys(params)).toEqual([...SPAN_COLUMNS]);
        expect(spanValues(params)).toEqual(SPAN_COLUMNS.map((column) => params[column]));
      }
    }
  });
});
