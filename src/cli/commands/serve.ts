import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import { CliFailure, CliUsageError } from '../cli-error.js';
import { asUserError } from '../open-store.js';
import { describeBudgetCrossing } from '../../model/budgets.js';
import { GrpcListenError, startCollector, startPostgresCollector } from '../../collector/start-collector.js';
import { isPostgresUrl } from '../../store/postgres/connection.js';
import type { ForwardProtocol } from '../../collector/start-collector.js';
import { loadConfigFlag } from '../config-file.js';
import { describeLeftovers } from '../../forward/forwarding-health.js';
import type { CliCommand } from '../command.js';
import { defaultDbPath, isLoopback, parseHeaderFlags, parsePort, parseStoreMode, parsePositiveInt } from '../options.js';
import { listenForStopSignals } from '../stop-signals.js';
import { upgradeBeforeOpen } from './migrate.js';
import { numberProblem } from '../../model/option-values.js';
import type { NumberRange } from '../../model/option-values.js';

const HELP = `Usage: skein serve [options]

Starts the collector: OTLP traces, logs and metrics over HTTP (POST /v1/traces,
/v1/logs, /v1/metrics; protobuf and JSON, gzip) and over gRPC, stored in SQLite
(or in a PostgreSQL database that several collectors share), optionally forwarded to other OTLP endpoints. Live step events on GET /api/live
(Server-Sent Events).

Options:
  --db <file|url>           database file, or postgres://user:password@host:5432/db to share one
                            PostgreSQL database between collectors (env SKEIN_DB; default ~/.skein/skein.db)
  --host <addr>             address to bind (env SKEIN_HOST; default 127.0.0.1)
  --port <n>                OTLP/HTTP, API and viewer port (env SKEIN_PORT; default 4318; 0 picks a free one)
  --grpc-port <n>|off       OTLP/gRPC port on the same host (env SKEIN_GRPC_PORT; default 4317, or a free
                            one when --port is 0; off: no gRPC)
  --token <secret>          require "Authorization: Bearer <secret>" (env SKEIN_TOKEN)
  --insecure                allow a non-loopback --host without a token
  --allow-host <name>       without a token, also answer requests for this Host name (repeatable;
                            *.example.com for subdomains; env SKEIN_ALLOW_HOSTS, comma-separated).
                            Names other than localhost, *.localhost and IP addresses get 403 (DNS
                            rebinding guard; off with a token, which protects every route)
  --headers-timeout <s>     a client must send its request headers within this (default 10)
  --request-timeout <s>     a client must send its whole request within this (default 60; the
                            answer, e.g. a live stream, is not limited)
  --keep-alive-timeout <s>  close an idle keep-alive connection after this (default 65)
  --max-connections <n>     close connections beyond this many open ones at once (default 512)
  --forward <url>           re-export everything received (traces, logs, metrics) to this OTLP endpoint
                            (repeatable): http(s)://host:4318 over HTTP, or host:4317 with --forward-protocol grpc
  --forward-protocol <p>    http (default) or grpc, for every --forward
  --forward-header <k=v>    header (gRPC: metadata) sent with forwarded requests (repeatable)
  --store all|genai         keep every span, or only agent/GenAI spans (forwarding still gets all)
  --max-body-bytes <n>      request body limit after decompression (default 67108864)
  --max-pending <items>     spans, log records and metric points accepted and waiting for a commit
                            before new exports get 503 (default 100000)
  --max-wait <s>            refuse new exports (503 + Retry-After) once they would wait longer than this
                            for their commit, at the measured commit rate (default 5)
  --max-inflight-bytes <n>  body bytes all requests being read, inflated and decoded may hold at once
                            (default 268435456); past it, 503 + Retry-After
  --max-outbox-bytes <n>    payload queued per forwarding upstream before new exports get 503
                            (default 1073741824)
  --interrupt-after <s>     mark open steps interrupted when their writer has been silent this many
                            seconds and is not a live process on this host (default 60; 0 = never)
  --max-text-length <n>     characters kept of each derived text (input, output, reasoning, name, ids)
                            for display and search (default 4096); spans are stored and exported whole
  --config <file>           budgets, redaction, prices, maxTextLength and interruptAfterSeconds from
                            this JSON file (default: ./skein.config.json when it exists)

Examples:
  skein serve
  skein serve --db ./traces.db --port 4318
  skein serve --db postgres://skein:secret@db.internal:5432/skein --host 0.0.0.0 --token $SKEIN_TOKEN
  skein serve --forward http://otel-collector:4318 --forward-header x-tenant=acme
  skein serve --forward otel-collector:4317 --forward-protocol grpc
  skein serve --config ./skein.config.json
  OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4318 node my-agent.js`;

export const serveCommand: CliCommand = {
  name: 'serve',
  summary: 'run the collector (OTLP/HTTP receiver, store, forwarding)',
  help: HELP,
  async run(argv, io) {
    const { values, positionals } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: true,
      options: {
        db: { type: 'string' },
        host: { type: 'string' },
        port: { type: 'string' },
        'grpc-port': { type: 'string' },
        token: { type: 'string' },
        insecure: { type: 'boolean', default: false },
        'allow-host': { type: 'string', multiple: true, default: [] },
        'headers-timeout': { type: 'string' },
        'request-timeout': { type: 'string' },
        'keep-alive-timeout': { type: 'string' },
        'max-connections': { type: 'string' },
        forward: { type: 'string', multiple: true, default: [] },
        'forward-header': { type: 'string', multiple: true, default: [] },
        'forward-protocol': { type: 'string' },
        store: { type: 'string', default: 'all' },
        'max-body-bytes': { type: 'string' },
        'interrupt-after': { type: 'string' },
        'max-text-length': { type: 'string' },
        'max-pending': { type: 'string' },
        'max-wait': { type: 'string' },
        'max-outbox-bytes': { type: 'string' },
        'max-inflight-bytes': { type: 'string' },
        config: { type: 'string' },
      },
    });
    if (positionals.length > 0) {
      const hint = /^\d+$/.test(positionals[0]) ? ` (did you mean --port ${positionals[0]}?)` : '';
      throw new CliFailure(`serve takes no positional argument, got '${positionals[0]}'${hint}`);
    }
    if (values['forward-header'].length > 0 && values.forward.length === 0) {
      throw new CliUsageError('--forward-header needs --forward <url>');
    }
    const config = loadConfigFlag(values.config);
    const host = values.host ?? io.env.SKEIN_HOST ?? '127.0.0.1';
    const token = values.token ?? io.env.SKEIN_TOKEN;
    if (!isLoopback(host) && !token && !values.insecure) {
      throw new CliUsageError(`binding ${host} exposes your traces: pass --token <secret> (or SKEIN_TOKEN), or --insecure`);
    }
    const forwardProtocol = parseForwardProtocol(values['forward-protocol'], values.forward.length > 0);
    for (const url of values.forward) checkForwardUrl(url, forwardProtocol);
    const port = parsePort(values.port ?? io.env.SKEIN_PORT ?? '4318');
    const grpcPort = parseGrpcPort(values['grpc-port'] ?? io.env.SKEIN_GRPC_PORT, port);
    const http = parseHttpLimits(values);
    const dbPath = values.db ?? io.env.SKEIN_DB ?? defaultDbPath(io.env);
    const shared = isPostgresUrl(dbPath);
    if (!shared) upgradeBeforeOpen(io, resolve(dbPath), 'serve');
    const collector = await (shared ? startPostgresCollector : startCollector)({
      dbPath,
      host,
      port,
      grpcPort,
      token,
      allowHosts: values['allow-host'].length > 0 ? values['allow-host'] : splitList(io.env.SKEIN_ALLOW_HOSTS),
      headersTimeoutMillis: http.headersTimeoutMillis,
      requestTimeoutMillis: http.requestTimeoutMillis,
      keepAliveTimeoutMillis: http.keepAliveTimeoutMillis,
      maxConnections: http.maxConnections,
      forward: values.forward.map((url) => ({ url, protocol: forwardProtocol, headers: parseHeaderFlags(values['forward-header']) })),
      storeMode: parseStoreMode(values.store),
      maxBodyBytes: values['max-body-bytes'] ? parsePositiveInt(values['max-body-bytes'], '--max-body-bytes') : undefined,
      maxPendingSpans:
        values['max-pending'] !== undefined ? parsePositiveInt(values['max-pending'], '--max-pending') : config?.maxPendingSpans,
      maxWaitMillis: secondsToMillis(
        values['max-wait'] !== undefined ? parseSeconds(values['max-wait'], '--max-wait', 0.001) : config?.maxWaitSeconds,
      ),
      maxInflightBytes:
        values['max-inflight-bytes'] !== undefined
          ? parsePositiveInt(values['max-inflight-bytes'], '--max-inflight-bytes')
          : config?.maxInflightBytes,
      maxOutboxBytes:
        values['max-outbox-bytes'] !== undefined
          ? parsePositiveInt(values['max-outbox-bytes'], '--max-outbox-bytes')
          : config?.maxOutboxBytes,
      interruptAfterMillis: secondsToMillis(
        values['interrupt-after'] !== undefined
          ? parseSeconds(values['interrupt-after'], '--interrupt-after')
          : config?.interruptAfterSeconds,
      ),
      redaction: config?.redaction,
      normalize: {
        prices: config?.prices,
        maxTextLength: values['max-text-length'] !== undefined
          ? parsePositiveInt(values['max-text-length'], '--max-text-length')
          : config?.maxTextLength,
      },
      budgets: config?.budgets,
      onBudget(crossing) {
        io.stdout.write(`skein: budget: ${describeBudgetCrossing(crossing)}\n`);
      },
    }).catch((error: unknown) => {
      throw asUserError(bindError(error, host, port, grpcPort) ?? error);
    });
    io.stdout.write(
      [
        `skein listening on ${collector.url}  (OTLP/HTTP: POST ${collector.url}/v1/traces, /v1/logs, /v1/metrics)`,
        collector.grpcUrl === null ? 'OTLP/gRPC: off' : `OTLP/gRPC listening on ${collector.grpcUrl}`,
        `database: ${collector.dbPath}`,
        ...(config ? [`config: ${config.source}`] : []),
        `point an OTel SDK at it: OTEL_EXPORTER_OTLP_ENDPOINT=${collector.url}` +
          (collector.grpcUrl === null ? '' : `  (gRPC: OTEL_EXPORTER_OTLP_PROTOCOL=grpc OTEL_EXPORTER_OTLP_ENDPOINT=${collector.grpcUrl})`),
        ...collector.forwardTargets.map((u) => `forwarding to: ${u}${forwardProtocol === 'grpc' ? ' (OTLP/gRPC)' : ''}`),
        '',
      ].join('\n'),
    );
    const leftovers = describeLeftovers(collector.unconfiguredQueues);
    if (leftovers !== null) io.stderr.write(leftovers + '\n');

    // Shutdown is bounded by the collector's grace period, not by a second signal.
    let warned = false;
    let finished = false;
    const signals = listenForStopSignals(io.stopSignal, (signal) => {
      if (warned || finished) return;
      warned = true;
      io.stderr.write(`skein: ${signal} again; still finishing requests and flushing\n`);
    });
    try {
      await signals.stopped;
      io.stdout.write('skein: shutting down (finishing requests, flushing)\n');
      await collector.close();
    } finally {
      finished = true;
      await signals.dispose();
    }
    io.stdout.write('skein: stopped\n');
    return 0;
  },
};

/** A failure to listen, as one line saying what to do; null for anything else. */
function bindError(error: unknown, host: string, port: number, grpcPort: number | 'off'): CliFailure | null {
  if (error instanceof GrpcListenError) {
    return new CliFailure(
      `cannot listen for OTLP/gRPC on ${error.address} (${error.reason}; another collector?): ` +
        `pick another with --grpc-port (0 picks a free one${grpcPort === 'off' ? '' : ', off turns gRPC off'})`,
    );
  }
  const { code, syscall } = error as { code?: unknown; syscall?: unknown };
  // Only the listening socket's errors: an EACCES from the database's directory is the database's.
  if (syscall !== 'listen' && syscall !== 'bind') return null;
  if (code === 'EADDRINUSE') {
    return new CliFailure(`${host}:${port} is already in use (another skein serve?): pick another with --port (0 picks a free one)`);
  }
  if (code === 'EACCES') return new CliFailure(`not allowed to listen on ${host}:${port}: pick a port above 1023 with --port`);
  if (code === 'EADDRNOTAVAIL') return new CliFailure(`${host} is not an address of this machine: check --host`);
  return null;
}

/**
 * `--grpc-port` / SKEIN_GRPC_PORT: a port, or `off`. Unset: 4317, or a free
 * port when the HTTP port is a free one (`--port 0`: whoever asks for a free
 * port does not want a fixed one taken on the side).
 */
function parseGrpcPort(value: string | undefined, httpPort: number): number | 'off' {
  if (value === undefined) return httpPort === 0 ? 0 : 4317;
  if (value.trim().toLowerCase() === 'off') return 'off';
  try {
    return parsePort(value);
  } catch {
    throw new CliUsageError(`--grpc-port must be an integer 0–65535 or off, got '${value}'`);
  }
}

function parseForwardProtocol(value: string | undefined, forwarding: boolean): ForwardProtocol {
  if (value === undefined) return 'http';
  if (!forwarding) throw new CliUsageError('--forward-protocol needs --forward <url>');
  if (value !== 'http' && value !== 'grpc') throw new CliUsageError(`--forward-protocol must be http or grpc, got '${value}'`);
  return value;
}

/** HTTP upstreams are URLs; gRPC ones `host:port`, or a URL whose scheme says plaintext (http) or TLS (https). */
function checkForwardUrl(url: string, protocol: ForwardProtocol): void {
  if (protocol === 'http') {
    if (!/^https?:\/\//.test(url)) throw new CliUsageError(`--forward expects an http(s) URL, got '${url}'`);
    return;
  }
  if (!/^(https?:\/\/)?(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):\d{1,5}\/?$/.test(url)) {
    throw new CliUsageError(`--forward with --forward-protocol grpc expects host:port (or http(s)://host:port), got '${url}'`);
  }
}

/** The slow-client flags, in milliseconds (undefined: the collector's default). */
function parseHttpLimits(values: Record<string, string | boolean | string[] | undefined>) {
  const seconds = (flag: string): number | undefined => {
    const raw = values[flag.slice(2)];
    if (typeof raw !== 'string') return undefined;
    return Math.round(checkedNumber(raw, flag, { min: 0.001, max: 2_147_483 }) * 1000);
  };
  const headersTimeoutMillis = seconds('--headers-timeout');
  const requestTimeoutMillis = seconds('--request-timeout');
  if (headersTimeoutMillis !== undefined && requestTimeoutMillis !== undefined && headersTimeoutMillis > requestTimeoutMillis) {
    throw new CliUsageError('--headers-timeout must not exceed --request-timeout (the request includes its headers)');
  }
  const connections = values['max-connections'];
  return {
    headersTimeoutMillis,
    requestTimeoutMillis,
    keepAliveTimeoutMillis: seconds('--keep-alive-timeout'),
    maxConnections:
      typeof connections === 'string' ? checkedNumber(connections, '--max-connections', { min: 1, integer: true }) : undefined,
  };
}

function checkedNumber(value: string, flag: string, range: NumberRange): number {
  const n = value.trim() === '' ? Number.NaN : Number(value);
  const problem = numberProblem(n, range);
  if (problem !== null) throw new CliUsageError(`${flag} ${problem}, got '${value}'`);
  return n;
}

/** `a, b c` → ['a', 'b', 'c']; undefined or blank → undefined. */
function splitList(value: string | undefined): string[] | undefined {
  const items = (value ?? '').split(/[\s,]+/).filter((item) => item !== '');
  return items.length > 0 ? items : undefined;
}

function parseSeconds(value: string, flag: string, min = 0): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < min) {
    throw new CliUsageError(`${flag} must be a number of seconds (${min === 0 ? '0' : min} or more), got '${value}'`);
  }
  return n;
}

function secondsToMillis(seconds: number | undefined): number | undefined {
  return seconds === undefined ? undefined : seconds * 1000;
}
