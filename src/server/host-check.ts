import { isIP } from 'node:net';
import type { Context, MiddlewareHandler } from 'hono';
import { RPC_CODE, encodeStatus } from '../otlp/index.js';
import { parseOtlpContentType } from './otlp-receiver.js';

/**
 * The DNS-rebinding guard. A web page on `http://evil.example.com` whose name
 * the attacker re-points at 127.0.0.1 makes the victim's browser send
 * same-origin requests to the collector, with `Host: evil.example.com`: it
 * could read sessions, write spans and delete them. The Host header is the one
 * thing such a request cannot fake, so without a token only these names are
 * answered:
 *
 * - loopback names: `localhost`, `*.localhost` (browsers resolve those to
 *   loopback themselves), and any port;
 * - IP address literals (`127.0.0.1`, `[::1]`, `192.168.1.20`): a page can
 *   only send them when its own origin is that address, so they cannot be
 *   rebound;
 * - the names in `allowHosts`.
 *
 * Others get 403 with a body naming the Host and how to allow it.
 */
export interface HostCheckOptions {
  /**
   * More accepted names, case-insensitive, any port: `skein.internal` exactly,
   * `*.example.com` for its subdomains, `*` for every name (the check off).
   */
  allowHosts?: readonly string[];
}

/** A Host header longer than this is cut in the error message (it is the attacker's text). */
const MAX_HOST_IN_MESSAGE = 200;

export function hostCheck(options: HostCheckOptions = {}): MiddlewareHandler {
  const allowHosts = (options.allowHosts ?? []).map((name) => normalizeName(name)).filter((name) => name !== '');
  if (allowHosts.includes('*')) {
    return async function hostCheckOff(_c, next) {
      await next();
    };
  }
  return async function checkHost(c, next) {
    // An absolute-form request target (`GET http://name/path`) names the host too; Hono's URL is built from it, or from Host.
    const header = c.req.header('host');
    const fromUrl = new URL(c.req.url).host;
    for (const host of header === undefined ? [fromUrl] : [header, fromUrl]) {
      if (!isAllowedHost(host, allowHosts)) return refuse(c, host);
    }
    await next();
  };
}

/** Whether a Host value (`name[:port]`, `[v6][:port]`) is a loopback name, an IP literal or one of `allowHosts` (normalized). */
export function isAllowedHost(host: string, allowHosts: readonly string[] = []): boolean {
  const name = hostName(host);
  if (name === null) return false;
  if (name === 'localhost' || name.endsWith('.localhost')) return true;
  if (isIP(name) !== 0) return true;
  return allowHosts.some((allowed) =>
    allowed.startsWith('*.') ? name.endsWith(allowed.slice(1)) && name.length > allowed.length - 1 : name === allowed,
  );
}

/** The name part of a Host value, lower-case, without port, brackets or a trailing dot; null when malformed. */
export function hostName(host: string): string | null {
  const trimmed = host.trim().toLowerCase();
  if (trimmed.startsWith('[')) {
    const match = /^\[([0-9a-f:.]+)\](?::\d*)?$/.exec(trimmed);
    return match ? match[1] : null;
  }
  const match = /^([^:]*)(?::\d*)?$/.exec(trimmed);
  if (!match || match[1] === '') return null;
  return match[1].replace(/\.$/, '');
}

function normalizeName(name: string): string {
  const n = name.trim().toLowerCase().replace(/\.$/, '');
  return n.startsWith('[') && n.endsWith(']') ? n.slice(1, -1) : n;
}

function refuse(c: Context, host: string): Response {
  const shown = host.length > MAX_HOST_IN_MESSAGE ? `${host.slice(0, MAX_HOST_IN_MESSAGE)}…` : host;
  const name = hostName(host) ?? host;
  const message =
    `Host '${shown}' is not allowed: without a token, skein answers only localhost, *.localhost and IP addresses ` +
    `(this guards against DNS rebinding). To reach it by this name, start it with --allow-host ${name} ` +
    `(or SKEIN_ALLOW_HOSTS=${name}), or set a token.`;
  if (c.req.path === '/v1/traces' || c.req.path.startsWith('/v1/')) {
    // OTLP clients expect a google.rpc.Status, in the request's encoding.
    const format = parseOtlpContentType(c.req.header('content-type')) ?? 'json';
    c.header('Content-Type', format === 'protobuf' ? 'application/x-protobuf' : 'application/json');
    return c.body(encodeStatus(format, RPC_CODE.permissionDenied, message) as Uint8Array<ArrayBuffer>, 403);
  }
  return c.json({ error: { code: 'host_not_allowed', message } }, 403);
}
