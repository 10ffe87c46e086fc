import { logVerbosity, setLogVerbosity } from '@grpc/grpc-js';
import { startOtlpGrpcServer } from '../server/grpc/otlp-grpc-server.js';
import type { OtlpGrpcServerOptions, RunningOtlpGrpcServer } from '../server/grpc/otlp-grpc-server.js';
import { GrpcListenError } from './collector-options.js';

/**
 * The collector's OTLP/gRPC listener: `startOtlpGrpcServer` with a bind
 * failure turned into `GrpcListenError` (the CLI's one line names the
 * address and `--grpc-port`).
 */
export async function listenGrpc(options: OtlpGrpcServerOptions & { host: string }): Promise<RunningOtlpGrpcServer & { url: string }> {
  let server: RunningOtlpGrpcServer;
  // grpc-js prints its own "E No address added out of total 1 resolved" to stderr before a refused bind
  // reaches us, a second line beside the CLI's one; quiet during the bind unless the user asked for grpc-js logs.
  const quiet = process.env.GRPC_NODE_VERBOSITY === undefined && process.env.GRPC_VERBOSITY === undefined;
  if (quiet) setLogVerbosity(logVerbosity.NONE);
  try {
    server = await startOtlpGrpcServer(options);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const address = options.host.includes(':') ? `[${options.host}]:${options.port}` : `${options.host}:${options.port}`;
    // grpc-js reports a refused bind as "No address added out of total 1 resolved" with the cause after it.
    const reason = message.includes('EADDRINUSE') || /address already in use/i.test(message) ? 'address in use' : message.replace(/^.*?: cannot listen on [^:]+:\d+: /, '');
    throw new GrpcListenError(address, reason);
  } finally {
    if (quiet) setLogVerbosity(logVerbosity.ERROR); // grpc-js's default
  }
  const host = server.host.includes(':') ? `[${server.host}]` : server.host;
  return { ...server, url: `http://${host}:${server.port}` };
}
