import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DiagLogLevel, diag } from '@opentelemetry/api';
import type { DiagLogger } from '@opentelemetry/api';
import { setGlobalErrorHandler } from '@opentelemetry/core';
import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import type { Tracer } from '@opentelemetry/api';
import { AgentTracer } from '../../src/processor/agent-tracer.js';
import { SkeinSpanProcessor } from '../../src/processor/skein-span-processor.js';
import type { SkeinSpanProcessorOptions } from '../../src/processor/skein-span-processor-options.js';
import { SqliteTraceStore } from '../../src/store/sqlite/index.js';

const dirs: string[] = [];

export function tempDbPath(): string {
  const dir = mkdtempSync(join(tmpdir(), 'skein-processor-'));
  dirs.push(dir);
  return join(dir, 'skein.db');
}

export function removeTempDirs(): void {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

export function openStore(path: string): SqliteTraceStore {
  return new SqliteTraceStore({ path });
}

export interface Pipeline {
  processor: SkeinSpanProcessor;
  provider: BasicTracerProvider;
  tracer: Tracer;
  agent: AgentTracer;
}

export function pipeline(options: SkeinSpanProcessorOptions): Pipeline {
  const processor = new SkeinSpanProcessor(options);
  const provider = new BasicTracerProvider({ spanProcessors: [processor] });
  const tracer = provider.getTracer('skein-test', '1.0.0');
  return { processor, provider, tracer, agent: new AgentTracer(tracer) };
}

export const fixturesDir = fileURLToPath(new URL('../fixtures/processor/', import.meta.url));

export interface ChildResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs a TypeScript fixture in its own Node process (tsx as a loader, so the
 * pid is the script's own and a signal reaches it directly).
 */
export function runFixture(
  script: string,
  args: string[],
  onStdout?: (text: string, kill: (signal: NodeJS.Signals) => void) => void,
): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(fixturesDir, script), ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      onStdout?.(stdout, (signal) => child.kill(signal));
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

/** Routes the OTel global error handler into the returned array (restore it with `setGlobalErrorHandler(loggingErrorHandler())`). */
export function captureErrors(): unknown[] {
  const errors: unknown[] = [];
  setGlobalErrorHandler((error) => errors.push(error));
  return errors;
}

/** Routes diag warnings and errors into the returned array. */
export function captureWarnings(): string[] {
  const warnings: string[] = [];
  const record = (message: string) => warnings.push(message);
  const logger: DiagLogger = { error: record, warn: record, info: () => {}, debug: () => {}, verbose: () => {} };
  diag.setLogger(logger, { logLevel: DiagLogLevel.WARN, suppressOverrideMessage: true });
  return warnings;
}
