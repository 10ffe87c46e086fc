import { homedir } from 'node:os';
import { join } from 'node:path';
import { CliUsageError } from './cli-error.js';

export function defaultDbPath(env: NodeJS.ProcessEnv): string {
  return join(env.HOME || homedir(), '.skein', 'skein.db');
}

export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127\.\d+\.\d+\.\d+$/.test(h);
}

export function parsePort(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new CliUsageError(`port must be an integer 0–65535, got '${value}'`);
  return n;
}

export function parsePositiveInt(value: string, flag: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n <= 0) throw new CliUsageError(`${flag} must be a positive integer, got '${value}'`);
  return n;
}

export function parseHeaderFlags(values: string[]): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const value of values) {
    const eq = value.indexOf('=');
    if (eq <= 0) throw new CliUsageError(`--forward-header expects key=value, got '${value}'`);
    headers[value.slice(0, eq).trim()] = value.slice(eq + 1).trim();
  }
  return headers;
}

export type StoreMode = 'all' | 'genai';

export function parseStoreMode(value: string): StoreMode {
  if (value === 'all' || value === 'genai') return value;
  throw new CliUsageError(`--store must be 'all' or 'genai', got '${value}'`);
}
