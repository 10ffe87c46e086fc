/**
 * `skein serve` as a real child process for the OTLP end-to-end tests of
 * test/collector/: its HTTP and gRPC addresses read from its startup lines,
 * the query API read with its token, and the OTel exporters' environment
 * (`OTEL_*`) set only while an exporter is constructed.
 */
import { join } from 'node:path';
import { spawnServe, tempDir } from '../cli/serve/helpers.js';
import type { ServeChild } from '../cli/serve/helpers.js';

export interface RunningServe {
  child: ServeChild;
  dbPath: string;
  /** `http://127.0.0.1:<port>`: OTLP/HTTP, the API and the viewer. */
  url: string;
  /** `http://127.0.0.1:<port>` from the "OTLP/gRPC listening on" line; null when it printed `OTLP/gRPC: off`. */
  grpcUrl: string | null;
  grpcPort: number | null;
  /** GET `<url>/api<path>` with the token when there is one; throws unless 200. */
  api<T>(path: string): Promise<T>;
}

/** Waits until `output()` matches `pattern`, or the process has exited (then throws with what it printed). */
export async function waitForOutput(child: ServeChild, pattern: RegExp): Promise<RegExpExecArray> {
  let exited = false;
  void child.exited.then(() => (exited = true));
  for (;;) {
    const match = pattern.exec(child.stdout());
    if (match) return match;
    if (exited) throw new Error(`skein serve exited before printing ${pattern}:\n${child.stdout()}\n${child.stderr()}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/**
 * Starts `node --import tsx src/cli/main.ts serve --db <tmp> <args>` (with
 * `--port 0` first unless `defaultPorts`), and resolves once both startup
 * lines (HTTP, then gRPC or `OTLP/gRPC: off`) are out. The child is killed
 * by the shared `cleanup()`.
 */
export async function startServe(
  args: string[] = [],
  options: { token?: string; defaultPorts?: boolean; env?: NodeJS.ProcessEnv } = {},
): Promise<RunningServe> {
  const dbPath = join(tempDir(), 'skein.db');
  const tokenArgs = options.token === undefined ? [] : ['--token', options.token];
  const portArgs = options.defaultPorts === true ? [] : ['--port', '0'];
  // No SKEIN_* from the developer's shell: the flags given here are the whole configuration.
  const env = { SKEIN_PORT: undefined, SKEIN_GRPC_PORT: undefined, SKEIN_TOKEN: undefined, SKEIN_HOST: undefined, ...options.env };
  const child = await spawnServe(['--db', dbPath, ...portArgs, ...tokenArgs, ...args], { via: 'node', env });
  const grpcLine = await waitForOutput(child, /^OTLP\/gRPC(?: listening on (http:\/\/\S+)|: off)$/m);
  const grpcUrl = grpcLine[1] ?? null;
  const auth: Record<string, string> = options.token === undefined ? {} : { authorization: `Bearer ${options.token}` };
  return {
    child,
    dbPath,
    url: child.url,
    grpcUrl,
    grpcPort: grpcUrl === null ? null : Number(new URL(grpcUrl).port),
    async api<T>(path: string): Promise<T> {
      const res = await fetch(`${child.url}/api${path}`, { headers: auth });
      const text = await res.text();
      if (res.status !== 200) throw new Error(`GET /api${path}: ${res.status} ${text}`);
      return JSON.parse(text) as T;
    },
  };
}
