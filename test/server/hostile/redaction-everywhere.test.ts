/**
 * A span carrying a different secret in every place a span can hold text —
 * the usual ones (attribute values, nested maps and arrays, event and link
 * attributes, resource, scope attributes, status message) and the six an
 * attacker used to get 168 of 532 seeded secrets through (span name, event
 * name, scope name and version, attribute keys, bytes values, trace state) —
 * goes through the real collector. None of the secrets may appear in the
 * database file or its WAL, in what was forwarded upstream, or in the OTLP
 * export; the span stays usable (its name, redacted, is still its step name).
 */
import { existsSync, readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startCollector } from '../../../src/collector/start-collector.js';
import type { RunningCollector } from '../../../src/collector/start-collector.js';
import type { AttributeValue, RawSpan } from '../../../src/model/types.js';
import { decodeTraceRequest, encodeTraceRequest } from '../../../src/otlp/index.js';
import type { OtlpFormat } from '../../../src/otlp/index.js';
import { makeRawSpan } from '../../helpers/raw-spans.js';
import { cleanup, startUpstream, tempDir } from '../../cli/serve/helpers.js';

const collectors: RunningCollector[] = [];
afterEach(async () => {
  await Promise.all(collectors.splice(0).map((c) => c.close()));
  await cleanup();
});

const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const BASE64 = `${ALPHANUMERIC}+/`;
const randomFrom = (alphabet: string, length: number): string =>
  Array.from(randomBytes(length), (byte) => alphabet[byte % alphabet.length]).join('');

type SecretKind = 'openai' | 'github' | 'pem';

interface Secret {
  /** Where it was put. */
  place: string;
  /** What it is replaced by. */
  marker: string;
  text: string;
  /** Strings that must occur nowhere: the secret, and the part of it that is unique (what a search index would hold). */
  needles: string[];
}

function makeSecret(place: string, kind: SecretKind): Secret {
  if (kind === 'openai') {
    const body = randomFrom(ALPHANUMERIC, 48);
    return { place, marker: '[REDACTED:openai-key]', text: `sk-proj-${body}`, needles: [`sk-proj-${body}`, body.slice(8).toLowerCase()] };
  }
  if (kind === 'github') {
    const body = randomFrom(ALPHANUMERIC, 36);
    return { place, marker: '[REDACTED:github-token]', text: `ghp_${body}`, needles: [`ghp_${body}`, body.slice(4).toLowerCase()] };
  }
  const lines = Array.from({ length: 4 }, () => randomFrom(BASE64, 64));
  return {
    place,
    marker: '[REDACTED:private-key]',
    text: `-----BEGIN PRIVATE KEY-----\n${lines.join('\n')}\n-----END PRIVATE KEY-----`,
    needles: lines.slice(1),
  };
}

/** Every place a secret can be put, each with its own secret; bytes values are also looked for as stored (base64). */
function seededSpan(session: string): { span: RawSpan; secrets: Secret[] } {
  const secrets: Secret[] = [];
  const kinds: SecretKind[] = ['openai', 'github', 'pem'];
  const secret = (place: string): string => {
    const s = makeSecret(place, kinds[secrets.length % kinds.length]);
    secrets.push(s);
    return s.text;
  };
  const bytes = (place: string): Uint8Array => {
    const value = `token=${secret(place)};`;
    secrets[secrets.length - 1].needles.push(Buffer.from(value).toString('base64'));
    return new Uint8Array(Buffer.from(value));
  };
  const nested: Record<string, AttributeValue> = {
    inner: `nested ${secret('nested map value')}`,
    list: ['x', `in an array ${secret('array in a nested map')}`],
  };
  nested[`key ${secret('nested map key')}`] = 'value';
  const span = makeRawSpan({
    name: `call ${secret('span name')}`,
    traceState: `skein=${secret('trace state')}`,
    attributes: {
      'gen_ai.operation.name': 'chat',
      'gen_ai.request.model': 'gpt-4o',
      'gen_ai.conversation.id': session,
      'gen_ai.prompt': `please use ${secret('attribute value')}`,
      [`x.${secret('attribute key')}`]: 'the key is the secret',
      'app.config': nested,
      'app.list': ['a', `b ${secret('array value')}`, bytes('bytes in an array')],
      'app.payload': bytes('bytes value'),
    },
    statusCode: 2,
    statusMessage: `failed with ${secret('status message')}`,
    events: [
      {
        name: `event ${secret('event name')}`,
        timeUnixNano: 1_700_000_000_200_000_000n,
        attributes: { 'exception.message': `bad ${secret('event attribute')}`, [secret('event attribute key')]: 1 },
        droppedAttributesCount: 0,
      },
    ],
    links: [
      {
        traceId: 'a'.repeat(32),
        spanId: 'b'.repeat(16),
        traceState: `vendor=${secret('link trace state')}`,
        attributes: { note: `link ${secret('link attribute')}` },
        droppedAttributesCount: 0,
        flags: 1,
      },
    ],
    resource: {
      attributes: { 'service.name': 'hostile', 'deployment.note': secret('resource attribute') },
      droppedAttributesCount: 0,
      schemaUrl: '',
    },
    scope: {
      name: `scope ${secret('scope name')}`,
      version: secret('scope version'),
      attributes: { 'scope.note': secret('scope attribute') },
      droppedAttributesCount: 0,
      schemaUrl: '',
    },
  });
  return { span, secrets };
}

/** The places whose secret occurs in `haystack` (compared as latin1, so raw bytes and UTF-8 text both match). */
function leaked(secrets: readonly Secret[], haystack: Uint8Array | string): string[] {
  const text = typeof haystack === 'string' ? haystack : Buffer.from(haystack).toString('latin1');
  const lower = text.toLowerCase();
  return secrets.filter((s) => s.needles.some((n) => text.includes(n) || lower.includes(n.toLowerCase()))).map((s) => s.place);
}

describe('redaction reaches every place a span holds text', () => {
  it.each<OtlpFormat>(['protobuf', 'json'])('%s: no seeded secret reaches the file, the WAL, the upstream or the export', async (format) => {
    const upstream = await startUpstream();
    const dbPath = join(tempDir(), 'skein.db');
    const collector = await startCollector({ dbPath, port: 0, interruptAfterMillis: 0, forward: [{ url: upstream.url }] });
    collectors.push(collector);
    const session = `hostile-${format}`;
    const { span, secrets } = seededSpan(session);
    expect(secrets.length).toBeGreaterThanOrEqual(20);
    // The check itself finds every secret in what was sent.
    const body = encodeTraceRequest([span], format);
    expect(leaked(secrets, body)).toEqual(secrets.map((s) => s.place));

    const res = await fetch(`${collector.url}/v1/traces`, {
      method: 'POST',
      headers: { 'content-type': format === 'json' ? 'application/json' : 'application/x-protobuf' },
      body,
    });
    expect(res.status).toBe(200);
    await upstream.waitFor(() => upstream.acceptedSpanIds().includes(span.spanId));

    const exported = await (await fetch(`${collector.url}/api/sessions/${session}/export?format=otlp`)).text();
    const steps = (await (await fetch(`${collector.url}/api/spans?session=${session}`)).json()) as { items: Array<{ name: string }> };

    const where: Record<string, string[]> = {
      database: leaked(secrets, readFileSync(dbPath)),
      wal: existsSync(`${dbPath}-wal`) ? leaked(secrets, readFileSync(`${dbPath}-wal`)) : [],
      forwarded: leaked(secrets, Buffer.concat(upstream.requests.map((r) => r.body))),
      export: leaked(secrets, exported),
    };
    await collector.close();
    where.databaseAfterClose = leaked(secrets, readFileSync(dbPath));
    expect(where).toEqual({ database: [], wal: [], forwarded: [], export: [], databaseAfterClose: [] });

    // Still a usable span: its name says what it was, with the secret marked; bytes stay bytes.
    const marker = (place: string): string => secrets.find((s) => s.place === place)!.marker;
    expect(steps.items.map((s) => s.name)).toEqual([`call ${marker('span name')}`]);
    const forwarded = decodeTraceRequest(upstream.requests[0].body, 'protobuf').spans[0];
    expect(forwarded.name).toBe(`call ${marker('span name')}`);
    expect(forwarded.events[0].name).toBe(`event ${marker('event name')}`);
    expect(forwarded.scope.name).toBe(`scope ${marker('scope name')}`);
    expect(forwarded.traceState).toBe(`skein=${marker('trace state')}`);
    expect(forwarded.attributes['app.payload']).toEqual(new Uint8Array(Buffer.from(`token=${marker('bytes value')};`)));
    expect(forwarded.attributes[`x.${marker('attribute key')}`]).toBe('the key is the secret');
  });
});
