/**
 * Which Chromium the viewer's browser tests drive, in this order:
 *
 * 1. `SKEIN_CHROMIUM_PATH`, then `CHROME_PATH`, when set (a set variable that
 *    names no executable file is an error, not a reason to look elsewhere);
 * 2. a system Chrome or Chromium at one of SYSTEM_CHROMIUMS;
 * 3. the headless Chromium packed inside the npm package `@sparticuz/chromium`
 *    (a devDependency, so `npm ci` brings it from the npm registry alone),
 *    unpacked once into `<tmpdir>/skein-bundled-chromium-<version>/` and
 *    reused by later runs.
 *
 * When none can be had, the error names every place that was tried.
 */

import { execFile } from 'node:child_process';
import { accessSync, constants, existsSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';

export const ENV_VARS = ['SKEIN_CHROMIUM_PATH', 'CHROME_PATH'] as const;
export const SYSTEM_CHROMIUMS = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome', '/usr/bin/google-chrome-stable'] as const;
export const BUNDLED_PACKAGE = '@sparticuz/chromium';

export interface ChromiumChoice {
  /** The executable to launch. */
  path: string;
  /** Where it came from: the variable's name, the system path, or the package and its version. */
  source: string;
}

export interface FindChromiumOptions {
  /** Defaults to process.env. */
  env?: NodeJS.ProcessEnv;
  /** Defaults to SYSTEM_CHROMIUMS. */
  systemPaths?: readonly string[];
  /** Defaults to unpackBundledChromium(). */
  bundled?: () => Promise<ChromiumChoice>;
}

function isExecutableFile(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

export async function findChromium(options: FindChromiumOptions = {}): Promise<ChromiumChoice> {
  const env = options.env ?? process.env;
  const systemPaths = options.systemPaths ?? SYSTEM_CHROMIUMS;
  const bundled = options.bundled ?? (() => unpackBundledChromium());
  const tried: string[] = [];

  for (const name of ENV_VARS) {
    const value = env[name];
    if (value === undefined || value === '') {
      tried.push(`${name} (not set)`);
      continue;
    }
    if (!isExecutableFile(value)) throw new Error(`${name}=${value} is not an executable file; point it at a Chrome or Chromium binary, or unset it`);
    return { path: value, source: name };
  }

  for (const path of systemPaths) {
    if (isExecutableFile(path)) return { path, source: path };
    tried.push(`${path} (missing)`);
  }

  try {
    return await bundled();
  } catch (error) {
    tried.push(`${BUNDLED_PACKAGE} (${error instanceof Error ? error.message : String(error)})`);
  }
  throw new Error(`No Chromium for the viewer's browser tests. Tried: ${tried.join('; ')}. Set SKEIN_CHROMIUM_PATH to a Chrome or Chromium binary, or run npm ci to install ${BUNDLED_PACKAGE}.`);
}

const execFileAsync = promisify(execFile);
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The package's entry point and version; throws when it is not installed. */
function bundledPackage(): { entry: string; version: string } {
  const entry = createRequire(import.meta.url).resolve(BUNDLED_PACKAGE);
  let dir = dirname(entry);
  while (!existsSync(join(dir, 'package.json')) || (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string }).name !== BUNDLED_PACKAGE) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no package.json above ${entry}`);
    dir = parent;
  }
  const { version } = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string };
  return { entry, version };
}

function pidIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Takes the unpack lock (a file holding the taker's pid). A lock whose process
 * is gone is removed, and the caller tries again.
 */
function tryLock(lock: string): boolean {
  try {
    writeFileSync(lock, String(process.pid), { flag: 'wx' });
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  let holder = Number.NaN;
  try {
    holder = Number.parseInt(readFileSync(lock, 'utf8'), 10);
  } catch {
    return false; // removed meanwhile: try again
  }
  if (Number.isInteger(holder) && holder > 0 && !pidIsAlive(holder)) rmSync(lock, { force: true });
  return false;
}

/**
 * The package unpacks into os.tmpdir() itself (`/tmp/chromium` and beside it,
 * with no guard against two processes unpacking at once, and any file already
 * there is taken as finished). So it runs in a child whose TMPDIR is a fresh
 * staging folder, which is then renamed into place in one step: a cache folder
 * that exists is complete. The lock only saves parallel test files from
 * unpacking the same ~200 MB side by side.
 */
export async function unpackBundledChromium(cacheRoot: string = tmpdir()): Promise<ChromiumChoice> {
  const { entry, version } = bundledPackage();
  const source = `${BUNDLED_PACKAGE} ${version}`;
  const dir = join(cacheRoot, `skein-bundled-chromium-${version}`);
  const executable = join(dir, 'chromium');
  const lock = `${dir}.lock`;

  while (!isExecutableFile(executable)) {
    if (!tryLock(lock)) {
      await sleep(100);
      continue;
    }
    try {
      if (!isExecutableFile(executable)) await unpackInto(dir, entry, cacheRoot, version);
    } finally {
      rmSync(lock, { force: true });
    }
  }
  return { path: executable, source };
}

async function unpackInto(dir: string, entry: string, cacheRoot: string, version: string): Promise<void> {
  const staging = mkdtempSync(join(cacheRoot, `skein-bundled-chromium-${version}.unpacking-`));
  try {
    const script = 'const { default: chromium } = await import(process.argv[1]); process.stdout.write(await chromium.executablePath());';
    const { stdout } = await execFileAsync(process.execPath, ['--input-type=module', '-e', script, pathToFileURL(entry).href], {
      env: { ...process.env, TMPDIR: staging },
    });
    if (stdout !== join(staging, 'chromium') || !isExecutableFile(stdout)) throw new Error(`unpacking gave ${JSON.stringify(stdout)}, not ${join(staging, 'chromium')}`);
    // A folder without its executable (left by hand, say) is not a cache.
    if (!isExecutableFile(join(dir, 'chromium'))) rmSync(dir, { recursive: true, force: true });
    try {
      renameSync(staging, dir);
    } catch (error) {
      if (!isExecutableFile(join(dir, 'chromium'))) throw error; // else another process got there first
    }
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}
