/**
 * The direction of imports, checked against the layer table in the design
 * notes (ARCHITECTURE.md, "Layers and the direction of dependencies"): every
 * `import … from`, `export … from` and dynamic `import('…')` in src/ and
 * exporters/ is parsed with TypeScript's own pre-processor and resolved to
 * the folder (layer) it lands in.
 */

import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, posix } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * The store's interfaces, records and errors: the files directly in src/store/, not a backend's folder
 * (src/store/sqlite/, src/store/postgres/) nor the code they share (src/store/common/).
 */
const STORE_CONTRACT = 'store contract';

/**
 * ARCHITECTURE.md's table: which folder of src/ may import which ("a folder may import itself" is
 * implied). Two readings of it: semconv (attribute names, importing nothing) may be named by every
 * layer, and the server sees the store only through its contract.
 */
const MAY_IMPORT: Record<string, readonly string[]> = {
  semconv: [],
  model: ['semconv'],
  otlp: ['semconv', 'model'],
  store: ['semconv', 'model'],
  ingest: ['semconv', 'model', 'otlp', 'store'],
  forward: ['semconv', 'model', 'otlp', 'store'],
  processor: ['semconv', 'model', 'ingest'],
  // OTLP JSON is one of the read model's export formats.
  query: ['semconv', 'model', 'otlp', 'store'],
  // The store's contract (src/store/*.ts: TraceStore, the change feed, the outbox records, the errors) but
  // not an implementation: the composition root hands the server its store.
  server: ['semconv', 'model', 'otlp', 'ingest', 'query', STORE_CONTRACT],
  collector: ['semconv', 'model', 'otlp', 'store', 'ingest', 'forward', 'processor', 'query', 'server'],
  cli: ['semconv', 'model', 'otlp', 'store', 'ingest', 'forward', 'processor', 'query', 'server', 'collector'],
};

/** The package's public entry: `src/index.ts` names every public export; exporters/ may import only it. */
const PUBLIC_ENTRY = 'src/index.ts';


/**
 * Files that start a worker thread that commits nothing, by file name: the
 * OTLP decode pool and the stats thread read; the WAL checkpointer copies
 * pages already committed into the database file (wal_checkpoint), so it
 * writes no row and takes no part in a commit.
 */
const READER_THREAD_FILES = ['decode-pool.ts', 'stats-thread.ts', 'wal-checkpointer.ts'];


function sourceFiles(folder: string): string[] {
  return readdirSync(join(ROOT, folder), { recursive: true, encoding: 'utf8' })
    .filter((name) => name.endsWith('.ts'))
    .map((name) => posix.join(folder, name.split('\\').join('/')))
    .sort();
}

const FILES = [...sourceFiles('src'), ...sourceFiles('exporters')];

/** Every module specifier a file imports or re-exports, static or dynamic. */
function specifiersOf(file: string): string[] {
  const text = readFileSync(join(ROOT, file), 'utf8');
  return ts.preProcessFile(text, true, true).importedFiles.map((ref) => ref.fileName);
}

/** A relative specifier as a repository path (`./x.js` → `src/…/x.ts`), or null for packages and node: modules. */
function resolveRelative(from: string, specifier: string): string | null {
  if (!specifier.startsWith('.')) return null;
  const target = posix.normalize(posix.join(posix.dirname(from), specifier));
  if (target.endsWith('.js')) return `${target.slice(0, -3)}.ts`;
  if (target.endsWith('.json') || target.endsWith('.ts')) return target;
  return `${target}/index.ts`;
}

/** The layer a repository path belongs to: `src/<folder>/…` → folder; the entry, exporters/ and anything else by name. */
function layerOf(path: string): string {
  if (path === PUBLIC_ENTRY) return 'entry';
  const [top, folder] = path.split('/');
  if (top === 'exporters') return 'exporters';
  if (top === 'src' && path.split('/').length > 2) return folder;
  return `outside:${path}`;
}

/** The store backends' folders, and the folder of the code both share (which imports neither). */
const STORE_BACKENDS = ['sqlite', 'postgres'];
const STORE_COMMON = 'common';

/** `sqlite`, `postgres` or `common` for a path in that folder of src/store/, else null. */
const storeFolderOf = (path: string): string | null => /^src\/store\/([^/]+)\//.exec(path)?.[1] ?? null;

const isReceiver = (path: string): boolean => /^src\/server\/(otlp-receiver[^/]*\.ts|receiver\/|grpc\/)/.test(path);
const isQueryApi = (path: string): boolean => path.startsWith('src/server/query-api/');

/** Why `file` may not import `specifier`, or null when it may. */
function violation(file: string, specifier: string): string | null {
  const fromLayer = layerOf(file);
  if (specifier === 'better-sqlite3' || specifier.startsWith('better-sqlite3/')) {
    return file.startsWith('src/store/sqlite/') ? null : 'only src/store/sqlite/ imports better-sqlite3';
  }
  if (specifier === 'pg' || specifier.startsWith('pg/')) {
    return file.startsWith('src/store/postgres/') ? null : 'only src/store/postgres/ imports pg';
  }
  const target = resolveRelative(file, specifier);
  if (target === null) return null;
  const toLayer = layerOf(target);
  const fromStore = storeFolderOf(file);
  const toStore = storeFolderOf(target);
  if (toStore !== null && STORE_BACKENDS.includes(toStore) && fromStore !== toStore) {
    if (fromStore === STORE_COMMON) return 'src/store/common/ imports no backend';
    if (fromStore !== null && STORE_BACKENDS.includes(fromStore)) return 'store backends do not import each other';
  }
  if (fromLayer === 'exporters') {
    return toLayer === 'exporters' || target === PUBLIC_ENTRY ? null : 'exporters/ imports only the public entry src/index.ts';
  }
  if (fromLayer === 'entry') return null;
  if (toLayer === fromLayer) {
    if ((isReceiver(file) && isQueryApi(target)) || (isQueryApi(file) && isReceiver(target))) {
      return 'the OTLP receivers and the query API never import each other';
    }
    return null;
  }
  const allowed = MAY_IMPORT[fromLayer];
  if (allowed === undefined) return `${file} is in no layer of the table`;
  if (allowed.includes(toLayer)) return null;
  if (toLayer === 'store' && allowed.includes(STORE_CONTRACT) && /^src\/store\/[^/]+\.ts$/.test(target)) return null;
  return `${fromLayer}/ may not import ${toLayer}${allowed.includes(STORE_CONTRACT) ? ' (only its contract, src/store/*.ts)' : ''}`;
}

function findViolations(): Map<string, string> {
  const found = new Map<string, string>();
  for (const file of FILES) {
    for (const specifier of specifiersOf(file)) {
      const why = violation(file, specifier);
      if (why !== null) found.set(`${file} -> ${specifier}`, why);
    }
  }
  return found;
}

describe('import direction (ARCHITECTURE.md layer table)', () => {
  const violations = findViolations();

  it('reads real imports: the parser sees static, type-only, re-exports and dynamic imports', () => {
    const seen = ts.preProcessFile(
      "import a from './a.js';\nimport type { B } from '../b.js';\nexport { c } from './c.js';\nconst d = await import('./d.js');",
      true,
      true,
    );
    expect(seen.importedFiles.map((ref) => ref.fileName)).toEqual(['./a.js', '../b.js', './c.js', './d.js']);
    expect(FILES.length).toBeGreaterThan(50);
    expect(FILES).toContain(PUBLIC_ENTRY);
  });

  it('knows the rules it enforces', () => {
    expect(violation('src/model/x.ts', '../store/index.js')).toBe('model/ may not import store');
    expect(violation('src/model/x.ts', '../semconv/index.js')).toBeNull();
    expect(violation('src/cli/commands/x.ts', '../../server/app.js')).toBeNull();
    expect(violation('src/query/x.ts', 'better-sqlite3')).toBe('only src/store/sqlite/ imports better-sqlite3');
    expect(violation('src/store/sqlite/x.ts', 'better-sqlite3')).toBeNull();
    expect(violation('src/query/x.ts', 'pg')).toBe('only src/store/postgres/ imports pg');
    expect(violation('src/store/sqlite/x.ts', 'pg')).toBe('only src/store/postgres/ imports pg');
    expect(violation('src/store/postgres/x.ts', 'pg')).toBeNull();
    expect(violation('src/server/x.ts', '../store/trace-store.js')).toBeNull();
    expect(violation('src/server/x.ts', '../store/sqlite/sqlite-outbox.js')).toBe(
      'server/ may not import store (only its contract, src/store/*.ts)',
    );
    expect(violation('src/server/x.ts', '../store/common/cursor.js')).toBe(
      'server/ may not import store (only its contract, src/store/*.ts)',
    );
    expect(violation('src/store/postgres/x.ts', '../sqlite/cursor.js')).toBe('store backends do not import each other');
    expect(violation('src/store/sqlite/x.ts', '../postgres/connection.js')).toBe('store backends do not import each other');
    expect(violation('src/store/common/x.ts', '../sqlite/span-row.js')).toBe('src/store/common/ imports no backend');
    expect(violation('src/store/common/x.ts', '../postgres/span-row.js')).toBe('src/store/common/ imports no backend');
    expect(violation('src/store/postgres/x.ts', '../common/cursor.js')).toBeNull();
    expect(violation('src/store/sqlite/x.ts', '../errors.js')).toBeNull();
    expect(violation('src/processor/x.ts', '../store/errors.js')).toBe('processor/ may not import store');
    expect(violation('exporters/x.ts', '../src/otlp/index.js')).toBe('exporters/ imports only the public entry src/index.ts');
    expect(violation('exporters/x.ts', '../src/index.js')).toBeNull();
    expect(violation('src/server/query-api/x.ts', '../otlp-receiver.js')).toBe(
      'the OTLP receivers and the query API never import each other',
    );
    expect(violation('src/server/receiver/x.ts', '../query-api/index.js')).toBe(
      'the OTLP receivers and the query API never import each other',
    );
  });

  it('every file of src/ is in a folder of the table', () => {
    const unknown = FILES.map(layerOf).filter((layer) => layer !== 'entry' && layer !== 'exporters' && !(layer in MAY_IMPORT));
    expect(unknown).toEqual([]);
  });

  it('nothing imports against the table', () => {
    expect([...violations].map(([edge, why]) => `${edge}: ${why}`)).toEqual([]);
  });
});

/** The source has a `new Worker(…)` expression in code (not in a comment or a string). */
function startsWorker(text: string): boolean {
  const source = ts.createSourceFile('file.ts', text, ts.ScriptTarget.Latest, false);
  const visit = (node: ts.Node): boolean =>
    (ts.isNewExpression(node) && ts.isIdentifier(node.expression) && node.expression.text === 'Worker') ||
    (ts.forEachChild(node, visit) ?? false);
  return visit(source);
}

describe('worker threads', () => {
  it('finds new Worker( in code only', () => {
    expect(startsWorker("import { Worker } from 'node:worker_threads';\nconst w = new Worker(new URL('./w.js', import.meta.url));")).toBe(true);
    expect(startsWorker('/** Pass it to `new Worker(script)`. */\nconst text = "new Worker(";')).toBe(false);
  });


  const starters = FILES.filter((file) => startsWorker(readFileSync(join(ROOT, file), 'utf8')));
  const isReader = (file: string): boolean => READER_THREAD_FILES.includes(posix.basename(file));
  const writers = starters.filter((file) => !isReader(file));

  it('each listed thread that commits nothing still starts one (decode pool, stats thread, WAL checkpointer)', () => {
    expect(READER_THREAD_FILES.filter((name) => !starters.some((file) => posix.basename(file) === name))).toEqual([]);
  });

  it('new Worker( for writing appears in exactly one src/ file, in ingest/', () => {
    expect(writers).toHaveLength(1);
    expect(writers[0]).toMatch(/^src\/ingest\//);
  });
});
