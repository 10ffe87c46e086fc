/**
 * How the browser tests find their Chromium: the variables, then the system
 * paths, then the one packed in @sparticuz/chromium (unpacked for real here,
 * into a temp folder, twice at once, past a stale lock and a broken cache).
 */

import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BUNDLED_PACKAGE, findChromium, unpackBundledChromium } from './find-chromium.js';
import type { ChromiumChoice } from './find-chromium.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'skein-find-chromium-'));
  dirs.push(dir);
  return dir;
}

function executable(dir: string, name: string): string {
  const path = join(dir, name);
  writeFileSync(path, '#!/bin/sh\n');
  chmodSync(path, 0o755);
  return path;
}

/** A stand-in for the bundled browser that records whether it was asked. */
function bundledStub(result: ChromiumChoice | Error) {
  const calls: number[] = [];
  return {
    calls,
    bundled: () => {
      calls.push(1);
      return result instanceof Error ? Promise.reject(result) : Promise.resolve(result);
    },
  };
}

const BUNDLED: ChromiumChoice = { path: '/tmp/bundled/chromium', source: `${BUNDLED_PACKAGE} 0.0.0` };

describe('findChromium', () => {
  it('takes SKEIN_CHROMIUM_PATH first, then CHROME_PATH, before any system browser', async () => {
    const dir = tempDir();
    const skein = executable(dir, 'skein-chrome');
    const chrome = executable(dir, 'chrome');
    const system = executable(dir, 'system-chromium');
    const stub = bundledStub(BUNDLED);

    expect(await findChromium({ env: { SKEIN_CHROMIUM_PATH: skein, CHROME_PATH: chrome }, systemPaths: [system], bundled: stub.bundled })).toEqual({
      path: skein,
      source: 'SKEIN_CHROMIUM_PATH',
    });
    expect(await findChromium({ env: { SKEIN_CHROMIUM_PATH: '', CHROME_PATH: chrome }, systemPaths: [system], bundled: stub.bundled })).toEqual({
      path: chrome,
      source: 'CHROME_PATH',
    });
    expect(stub.calls).toEqual([]);
  });

  it('refuses a variable that names no executable instead of quietly using another browser', async () => {
    const dir = tempDir();
    const notExecutable = join(dir, 'chrome.txt');
    writeFileSync(notExecutable, 'not a browser');
    const system = executable(dir, 'system-chromium');
    const stub = bundledStub(BUNDLED);

    await expect(findChromium({ env: { SKEIN_CHROMIUM_PATH: join(dir, 'missing') }, systemPaths: [system], bundled: stub.bundled })).rejects.toThrow(
      `SKEIN_CHROMIUM_PATH=${join(dir, 'missing')} is not an executable file`,
    );
    await expect(findChromium({ env: { CHROME_PATH: notExecutable }, systemPaths: [system], bundled: stub.bundled })).rejects.toThrow(
      `CHROME_PATH=${notExecutable} is not an executable file`,
    );
    await expect(findChromium({ env: { CHROME_PATH: dir }, systemPaths: [system], bundled: stub.bundled })).rejects.toThrow('is not an executable file');
    expect(stub.calls).toEqual([]);
  });

  it('takes the first system browser present, in order, before the bundled one', async () => {
    const dir = tempDir();
    const second = executable(dir, 'google-chrome');
    const third = executable(dir, 'google-chrome-stable');
    const stub = bundledStub(BUNDLED);

    expect(await findChromium({ env: {}, systemPaths: [join(dir, 'chromium'), second, third], bundled: stub.bundled })).toEqual({ path: second, source: second });
    expect(stub.calls).toEqual([]);
  });

  it('falls back to the bundled browser when there is no variable and no system browser', async () => {
    const dir = tempDir();
    const stub = bundledStub(BUNDLED);
    expect(await findChromium({ env: {}, systemPaths: [join(dir, 'chromium')], bundled: stub.bundled })).toEqual(BUNDLED);
    expect(stub.calls).toEqual([1]);
  });

  it('names every place it tried when no browser can be had', async () => {
    const dir = tempDir();
    const paths = [join(dir, 'chromium'), join(dir, 'google-chrome')];
    const stub = bundledStub(new Error('cannot unpack: disk full'));
    const failure = findChromium({ env: { CHROME_PATH: '' }, systemPaths: paths, bundled: stub.bundled });
    await expect(failure).rejects.toThrow(
      `No Chromium for the viewer's browser tests. Tried: SKEIN_CHROMIUM_PATH (not set); CHROME_PATH (not set); ${paths[0]} (missing); ${paths[1]} (missing); ${BUNDLED_PACKAGE} (cannot unpack: disk full). Set SKEIN_CHROMIUM_PATH`,
    );
  });
});

describe('unpackBundledChromium', () => {
  it('unpacks into a versioned folder, safely when two callers race, past a stale lock and a broken cache, and reuses it', async () => {
    const root = tempDir();
    // What a killed earlier run could leave: its lock (its process is gone) and a folder without the executable.
    const dead = spawnSync(process.execPath, ['-e', '']).pid;
    const { version } = JSON.parse(readFileSync(new URL(`../../../node_modules/${BUNDLED_PACKAGE}/package.json`, import.meta.url), 'utf8')) as { version: string };
    const name = `skein-bundled-chromium-${version}`;
    writeFileSync(join(root, `${name}.lock`), String(dead));
    mkdirSync(join(root, name));
    writeFileSync(join(root, name, 'half-written'), '');

    const [a, b] = await Promise.all([unpackBundledChromium(root), unpackBundledChromium(root)]);
    expect(a).toEqual({ path: join(root, name, 'chromium'), source: `${BUNDLED_PACKAGE} ${version}` });
    expect(b).toEqual(a);
    expect(readdirSync(root)).toEqual([name]); // no lock, no staging folder, no other copy
    expect(readdirSync(join(root, name))).not.toContain('half-written');
    expect(execFileSync(a.path, ['--version'], { encoding: 'utf8' })).toMatch(new RegExp(`^Chromium ${version.split('.')[0]}\\.`));

    const before = statSync(a.path);
    const again = await unpackBundledChromium(root);
    expect(again).toEqual(a);
    const after = statSync(a.path);
    expect([after.ino, after.mtimeMs]).toEqual([before.ino, before.mtimeMs]);
  });
});
