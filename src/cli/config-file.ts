/**
 * The config file of the CLI commands: `--config <file>`, else
 * `./skein.config.json` when there is one. Its parsing lives in
 * model/skein-config.ts (the processor reads the same file); here a bad file
 * becomes a one-line usage error that names it.
 */

import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { BudgetConfigError } from '../model/budgets.js';
import { RedactionConfigError } from '../model/redaction/redaction-pattern.js';
import { DEFAULT_CONFIG_FILE, SkeinConfigError, loadSkeinConfigFile } from '../model/skein-config.js';
import type { SkeinConfig } from '../model/skein-config.js';
import { CliUsageError } from './cli-error.js';

/** The file to read: the flag's (which must exist), else ./skein.config.json if present, else none. */
export function resolveConfigFile(flag: string | undefined, cwd: string = process.cwd()): string | undefined {
  if (flag !== undefined) return resolve(cwd, flag);
  const fallback = resolve(cwd, DEFAULT_CONFIG_FILE);
  return existsSync(fallback) ? fallback : undefined;
}

/** Reads and checks the config file; its mistakes are `CliUsageError`s naming the file and field. */
export function loadSkeinConfig(path: string): SkeinConfig {
  try {
    return loadSkeinConfigFile(path);
  } catch (error) {
    if (error instanceof SkeinConfigError || error instanceof BudgetConfigError || error instanceof RedactionConfigError) {
      throw new CliUsageError(error.message);
    }
    throw error;
  }
}

/** `--config` if given, else ./skein.config.json if present: loaded, or undefined when there is none. */
export function loadConfigFlag(flag: string | undefined, cwd?: string): SkeinConfig | undefined {
  const path = resolveConfigFile(flag, cwd);
  return path === undefined ? undefined : loadSkeinConfig(path);
}
