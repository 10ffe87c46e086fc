import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import type { ServerType } from '@hono/node-server';
import { numberOption, OptionValueError } from '../model/option-values.js';

/**
 * Slow-client limits (Node's own are 60 s for headers, 300 s for a request, none on connections).
 * Headers come in one write from any real client; 60 s carries a 64 MiB body at about 1 MB/s;
 * 65 s of keep-alive outlasts the usual 60 s export intervals and client pools, so a reused
 * connection is rarely closed under a request; 512 connections leave half of the common 1,024
 * file descriptor limit to the database, the writer thread and forwarding.
 */
export const DEFAULT_HTTP_LIMITS = {
  headersTimeoutMillis: 10_000,
  requestTimeoutMillis: 60_000,
  keepAliveTimeoutMillis: 65_000,
  maxConnections: 512,
} as const;


/** The collector's options that set the slow-client limits (each defaults as below). */
export interface HttpLimitOptions {
  headersTimeoutMillis?: number;
  requestTimeoutMillis?: number;
  keepAliveTimeoutMillis?: number;
  maxConnections?: number;
}

/** setTimeout's largest delay. */
const MAX_TIMER_MILLIS = 2 ** 31 - 1;

/**
 * Listens with the slow-client limits applied; rejects (a port in use) without leaving anything
 * open. Answers stay deliverable to a client that half-closed its side.
 */
export function listen(
  fetch: (request: Request) => Response | Promise<Response>,
  address: { host: string; port: number },
  limits: HttpLimits,
): Promise<Server> {
  return new Promise((resolveServer, reject) => {
    const s = serve(
      {
        fetch,
        hostname: address.host,
        port: address.port,
        serverOptions: {
          headersTimeout: limits.headersTimeoutMillis,
          requestTimeout: limits.requestTimeoutMillis,
          keepAliveTimeout: limits.keepAliveTimeoutMillis,
          // Node checks the two timeouts every 30 s by default: a 10 s limit would hold up to 40 s.
          connectionsCheckingInterval: Math.max(
            10,
            Math.min(1_000, Math.floor(Math.min(limits.headersTimeoutMillis, limits.requestTimeoutMillis) / 4)),
          ),
        },
      },
      // serve() makes an HTTP/1 server unless told otherwise.
      () => resolveServer(s as Server),
    );
    s.once('error', reject);
    // A client that sends its request and then shuts its write side (FIN) still waits for the
    // answer. Node's default ends the socket at once, dropping the answer to a stored export
    // (and the client sends it again); this way the socket ends after the last answer.
    (s as ServerType & { httpAllowHalfOpen: boolean }).httpAllowHalfOpen = true;
    limitConnections(s, limits.maxConnections);
  });
}

/**
 * Stops accepting, waits for in-flight requests for up to `graceMillis`, then cuts the
 * connections left (a stalled client must not hold shutdown forever).
 */
export function closeServer(server: Server, graceMillis: number): Promise<void> {
  return new Promise<void>((resolveClose) => {
    const grace = setTimeout(() => server.closeAllConnections(), graceMillis);
    grace.unref();
    server.close(() => {
      clearTimeout(grace);
      resolveClose();
    });
    server.closeIdleConnections();
  });
}

/** The URL a listening server answers on. */
export function serverUrl(server: Server): { url: string; port: number } {
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return { url: `http://${host}:${address.port}`, port: address.port };
}

export type HttpLimits = { [K in keyof typeof DEFAULT_HTTP_LIMITS]: number };

/** The slow-client limits, defaulted and checked one by one (errors name the option). */
export function httpLimits(options: HttpLimitOptions): HttpLimits {
  const timer = { min: 1, max: MAX_TIMER_MILLIS, integer: true };
  const headersTimeoutMillis = numberOption(
    'startCollector',
    'headersTimeoutMillis',
    options.headersTimeoutMillis,
    // Like Node: a shorter request timeout shortens the default headers timeout with it.
    Math.min(DEFAULT_HTTP_LIMITS.headersTimeoutMillis, options.requestTimeoutMillis ?? Infinity),
    timer,
  );
  const requestTimeoutMillis = numberOption(
    'startCollector',
    'requestTimeoutMillis',
    options.requestTimeoutMillis,
    Math.max(DEFAULT_HTTP_LIMITS.requestTimeoutMillis, headersTimeoutMillis),
    timer,
  );
  if (headersTimeoutMillis > requestTimeoutMillis) {
    throw new OptionValueError(
      `startCollector: headersTimeoutMillis (${headersTimeoutMillis}) must not exceed requestTimeoutMillis (${requestTimeoutMillis})`,
    );
  }
  return {
    headersTimeoutMillis,
    requestTimeoutMillis,
    keepAliveTimeoutMillis: numberOption(
      'startCollector',
      'keepAliveTimeoutMillis',
      options.keepAliveTimeoutMillis,
      DEFAULT_HTTP_LIMITS.keepAliveTimeoutMillis,
      timer,
    ),
    maxConnections: numberOption('startCollector', 'maxConnections', options.maxConnections, DEFAULT_HTTP_LIMITS.maxConnections, {
      min: 1,
      integer: true,
    }),
  };
}

/** How often a refused connection is reported at most. */
const DROP_REPORT_INTERVAL_MILLIS = 60_000;

/**
 * Caps open connections: Node closes each one beyond `max` as soon as it is accepted. The
 * first refusal (and then at most one a minute) is reported, with how many were refused.
 */
function limitConnections(server: ServerType, max: number): void {
  server.maxConnections = max;
  let refused = 0;
  let lastReport = -Infinity;
  server.on('drop', () => {
    refused += 1;
    const now = performance.now();
    if (now - lastReport < DROP_REPORT_INTERVAL_MILLIS) return;
    lastReport = now;
    console.error(
      `skein: ${max} connections are open (the limit, --max-connections); refused ${refused} new one${refused === 1 ? '' : 's'}`,
    );
    refused = 0;
  });
}

