/**
 * The envelope every OTLP export request shares, read once for logs and
 * metrics: `Resource{Logs,Metrics}` (request field 1) → { resource = 1,
 * `Scope…` = 2, schema_url = 3 } → { scope = 1, items = 2, schema_url = 3 }.
 * A subclass reads one item (`item()`, the reader on its bytes) and pushes it
 * to `items`; each item is then given its resource and scope. Errors say where
 * they are (`in resourceLogs[0].scopeLogs[1]…`).
 */
import type { InstrumentationScope, SpanResource } from '../model/types.js';
import { LEN, OtlpWireReader, type ResourceFields, tag } from './protobuf-otlp-reader.js';

export const NO_SCOPE: InstrumentationScope = Object.freeze({
  name: '',
  version: '',
  attributes: {},
  droppedAttributesCount: 0,
  schemaUrl: '',
});

export abstract class OtlpEnvelopeReader<T extends { resource: SpanResource; scope: InstrumentationScope }> extends OtlpWireReader {
  readonly items: T[] = [];

  constructor(
    body: Uint8Array,
    /** The request's group field names, for error paths: `resourceLogs`, `scopeLogs`. */
    private readonly groups: { resource: string; scope: string },
  ) {
    super(body);
  }

  /** Reads one item (the tag was just read and the reader entered its bytes) into `items`. */
  protected abstract item(): void;
  /** Where the item being read is, for errors at depth 3. */
  protected abstract itemWhere(): string;

  request(): void {
    this.group(1, () => this.resourceGroup());
  }

  protected override where(): string {
    if (this.depth === 0) return '';
    if (this.depth === 1) return ` in ${this.groups.resource}[${this.resourceIndex}]`;
    if (this.depth === 2) return ` in ${this.groups.resource}[${this.resourceIndex}].${this.groups.scope}[${this.scopeIndex}]`;
    return ` in ${this.itemWhere()}`;
  }

  /**
   * Reads each child group of the current message (field 1 of the request, field 2 of a resource or
   * scope group) with `read`, at `depth`; `other` reads the other fields it knows, the rest are skipped.
   */
  private group(depth: number, read: () => void, other: (t: number) => boolean = () => false): void {
    const r = this.r;
    const field = depth === 1 ? 1 : 2;
    while (r.pos < r.len) {
      const t = this.nextTag();
      if (t === tag(field, LEN)) {
        if (depth === 1) this.resourceIndex++;
        else if (depth === 2) this.scopeIndex++;
        else this.spanIndex++;
        const saved = this.enter();
        this.depth = depth;
        read();
        this.depth = depth - 1;
        r.len = saved;
      } else if (!other(t)) this.skip(t);
    }
  }

  private resourceGroup(): void {
    const first = this.items.length;
    let fields: ResourceFields = { attributes: {}, droppedAttributesCount: 0 };
    let schemaUrl = '';
    this.scopeIndex = -1;
    this.group(2, () => this.scopeGroup(), (t) => {
      if (t === tag(1, LEN)) fields = this.resource();
      else if (t === tag(3, LEN)) schemaUrl = this.string();
      else return false;
      return true;
    });
    const resource: SpanResource = { ...fields, schemaUrl };
    for (let i = first; i < this.items.length; i++) this.items[i].resource = resource;
  }

  private scopeGroup(): void {
    const first = this.items.length;
    let scope: InstrumentationScope = NO_SCOPE;
    let schemaUrl = '';
    this.spanIndex = -1;
    this.group(3, () => this.item(), (t) => {
      if (t === tag(1, LEN)) scope = this.scope('');
      else if (t === tag(3, LEN)) schemaUrl = this.string();
      else return false;
      return true;
    });
    const whole: InstrumentationScope = { ...scope, schemaUrl };
    for (let i = first; i < this.items.length; i++) this.items[i].scope = whole;
  }
}
