import { describe, expect, it } from 'vitest';
import * as semconv from '../../src/semconv/index.js';

describe('semconv', () => {
  it('exports only non-empty strings and no attribute name twice', () => {
    const attributeNames = new Map<string, string>();
    for (const [exportName, value] of Object.entries(semconv)) {
      expect(typeof value, exportName).toBe('string');
      expect(value.length, exportName).toBeGreaterThan(0);
      if (!exportName.startsWith('ATTR_')) continue;
      expect(attributeNames.get(value), `${exportName} repeats ${value}`).toBeUndefined();
      attributeNames.set(value, exportName);
    }
    expect(attributeNames.size).toBeGreaterThan(80);
  });

  it("names Skein's own attributes under skein.* and emits plain GenAI operations", () => {
    expect(semconv.ATTR_SKEIN_STEP_TYPE).toBe('skein.step.type');
    expect(semconv.SKEIN_STEP_TYPE_VALUE_REASONING).toBe('reasoning');
    expect(semconv.ATTR_SKEIN_REASONING_CONTENT.startsWith('skein.')).toBe(true);
    expect(semconv.SKEIN_OPERATION_AGENT).toBe('invoke_agent');
    expect(semconv.SKEIN_OPERATION_MODEL_CALL).toBe('chat');
    expect(semconv.SKEIN_OPERATION_TOOL_CALL).toBe('execute_tool');
  });
});
