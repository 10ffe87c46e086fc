import { parseArgs } from 'node:util';
import { mkdirSync, statSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { EXPORT_EXTENSIONS, EXPORT_FORMATS, exportSession } from '../../query/session-export.js';
import { CliUsageError } from '../cli-error.js';
import type { CliCommand } from '../command.js';
import { withTraceStore } from '../open-store.js';
import { createProgress, plural } from '../output.js';
import { oneOfFlag, positionals } from '../query-flags.js';

const HELP = `Usage: skein export <session…> --format otlp|jsonl|md [options]

Exports sessions:
  otlp    one OTLP/JSON request per session, spans as they arrived: import it
          again with \`skein import\` or POST it to any OTLP/HTTP receiver
  jsonl   one JSON line per step (times in nanoseconds as strings, tokens,
          cost, content, and the span itself): for scripts, and \`skein import\`
  md      a Markdown transcript to read or paste into an LLM

Options:
  --format <f>         otlp | jsonl | md (required)
  -o, --output <path>  write to this file (one session) or into this directory
                       (several sessions: <session><ext> each, -2, -3… added
                       when two ids make the same file name); default stdout
  --db <file>          database file, or a postgres:// URL (env SKEIN_DB; default ~/.skein/skein.db)

Examples:
  skein export my-session --format md
  skein export my-session --format otlp -o session.otlp.json
  curl -X POST -H 'content-type: application/json' --data @session.otlp.json http://collector:4318/v1/traces
  skein export s1 s2 s3 --format jsonl -o exports/`;

/**
 * `name`, or `name` with -2, -3… before the extension when an earlier session
 * of this export took it (compared without case, for macOS and Windows disks).
 */
function uniqueName(name: string, extension: string, taken: ReadonlyMap<string, string>): string {
  const stem = name.slice(0, name.length - extension.length);
  let candidate = name;
  for (let n = 2; taken.has(candidate.toLowerCase()); n++) candidate = `${stem}-${n}${extension}`;
  return candidate;
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

export const exportCommand: CliCommand = {
  name: 'export',
  summary: 'export sessions as OTLP/JSON, JSONL steps or a Markdown transcript',
  help: HELP,
  async run(argv, io) {
    const { values, positionals: givenIds } = parseArgs({ args: argv, strict: true, allowPositionals: true, options: {
      db: { type: 'string' },
      format: { type: 'string' },
      output: { type: 'string', short: 'o' },
    } });
    if (givenIds.length === 0) positionals(givenIds, ['session']);
    // A session named twice is exported once.
    const sessionIds = [...new Set(givenIds)];
    const format = oneOfFlag(values.format, EXPORT_FORMATS, '--format');
    if (format === undefined) throw new CliUsageError(`--format is required: one of ${EXPORT_FORMATS.join(', ')}`);
    const output = values.output;
    const intoDirectory = output !== undefined && (sessionIds.length > 1 || isDirectory(output) || output.endsWith('/'));
    if (intoDirectory) mkdirSync(output, { recursive: true });

    const written: string[] = [];
    /** Lower-cased file name → the session written to it. */
    const taken = new Map<string, string>();
    const renamed: string[] = [];
    const chunks: string[] = [];
    await withTraceStore(io, { db: values.db, mode: 'read' }, async (store) => {
      const progress = sessionIds.length > 1 ? createProgress(io, 'exporting', sessionIds.length) : createProgress(io, '', 0);
      try {
        for (const sessionId of sessionIds) {
          const exported = await exportSession(store, sessionId, format);
          // One request per line, so several sessions on stdout are still OTLP/JSON lines.
          const body = exported.body.endsWith('\n') ? exported.body : `${exported.body}\n`;
          if (intoDirectory) {
            const name = uniqueName(exported.fileName, EXPORT_EXTENSIONS[format], taken);
            if (name !== exported.fileName) {
              renamed.push(`session '${sessionId}' written as ${name} (${exported.fileName} is session '${taken.get(exported.fileName.toLowerCase())}')`);
            }
            taken.set(name.toLowerCase(), sessionId);
            const path = join(output, name);
            await writeFile(path, body);
            written.push(path);
          } else {
            chunks.push(body);
          }
          progress.tick();
        }
      } finally {
        progress.done();
      }
    });
    if (output !== undefined && !intoDirectory) {
      await writeFile(output, chunks.join(''));
      io.stderr.write(`wrote ${output}\n`);
    } else if (intoDirectory) {
      for (const line of renamed) io.stderr.write(`${line}\n`);
      io.stderr.write(`wrote ${plural(written.length, 'file')} to ${output}\n`);
    } else {
      io.stdout.write(chunks.join(format === 'md' ? '\n---\n\n' : ''));
    }
    return 0;
  },
};
