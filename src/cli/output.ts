/** Terminal output shared by the commands: colour only on a TTY, tables, duration bars, a progress bar, JSON. */

import { jsonSafe } from '../query/json-views.js';
import type { CliIo } from './command.js';

export interface Style {
  enabled: boolean;
  bold(text: string): string;
  dim(text: string): string;
  red(text: string): string;
  green(text: string): string;
  yellow(text: string): string;
  cyan(text: string): string;
  magenta(text: string): string;
}

/** Colour when stdout is a terminal, unless NO_COLOR is set; FORCE_COLOR turns it on anyway. */
export function colourEnabled(io: CliIo): boolean {
  if (io.env.NO_COLOR !== undefined && io.env.NO_COLOR !== '') return false;
  if (io.env.FORCE_COLOR !== undefined && io.env.FORCE_COLOR !== '0') return true;
  return io.stdout.isTTY === true && io.env.TERM !== 'dumb';
}

export function createStyle(enabled: boolean): Style {
  const wrap = (open: number, close: number) => (text: string) => (enabled ? `\x1b[${open}m${text}\x1b[${close}m` : text);
  return {
    enabled,
    bold: wrap(1, 22),
    dim: wrap(2, 22),
    red: wrap(31, 39),
    green: wrap(32, 39),
    yellow: wrap(33, 39),
    cyan: wrap(36, 39),
    magenta: wrap(35, 39),
  };
}

// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-9;]*m/g;

/** Width on screen: escape codes take none. */
export function visibleLength(text: string): number {
  return [...text.replace(ANSI, '')].length;
}

function pad(text: string, width: number, align: 'left' | 'right'): string {
  const fill = ' '.repeat(Math.max(0, width - visibleLength(text)));
  return align === 'right' ? fill + text : text + fill;
}

/** At most `width` characters: a longer value keeps its start and ends with `…` (ids in tables; --json has them whole). */
export function truncateCell(text: string, width: number): string {
  const chars = [...text];
  return chars.length <= width ? text : `${chars.slice(0, width - 1).join('')}…`;
}

export interface Column<T> {
  header: string;
  value(row: T): string;
  align?: 'left' | 'right';
}

/** A plain table: a header row and aligned columns separated by two spaces. */
export function renderTable<T>(rows: readonly T[], columns: readonly Column<T>[], style: Style): string {
  const cells = rows.map((row) => columns.map((c) => c.value(row)));
  const widths = columns.map((c, i) => Math.max(visibleLength(c.header), ...cells.map((r) => visibleLength(r[i]))));
  const line = (values: string[]) =>
    values
      .map((v, i) => pad(v, widths[i], columns[i].align ?? 'left'))
      .join('  ')
      .trimEnd();
  return [style.bold(line(columns.map((c) => c.header))), ...cells.map(line)].join('\n');
}

/**
 * A bar for a step on the session's time axis: blank before it starts, filled
 * while it runs. At least one cell so a short step is still seen.
 */
export function durationBar(
  startOffsetNanos: bigint,
  durationNanos: bigint | null,
  totalNanos: bigint,
  width: number,
): string {
  if (totalNanos <= 0n) return '█'.padEnd(width, ' ');
  const cell = (nanos: bigint) => Number((nanos * BigInt(width)) / totalNanos);
  const start = Math.min(width - 1, Math.max(0, cell(startOffsetNanos)));
  const length = durationNanos === null ? width - start : Math.max(1, cell(durationNanos));
  const filled = Math.min(length, width - start);
  return ' '.repeat(start) + (durationNanos === null ? '░' : '█').repeat(filled) + ' '.repeat(width - start - filled);
}

/** `1 session`, `2 sessions`: the count with the noun in the right number. */
export function plural(count: number, singular: string, pluralForm = `${singular}s`): string {
  return `${count.toLocaleString('en-US')} ${count === 1 ? singular : pluralForm}`;
}

/** Prints JSON for scripts: bigints as decimal strings, one trailing newline. */
export function writeJson(io: CliIo, value: unknown): void {
  io.stdout.write(`${JSON.stringify(jsonSafe(value), null, 2)}\n`);
}

export interface Progress {
  /** Advances by `n` (default 1). */
  tick(n?: number): void;
  /** Clears the bar; safe to call twice. */
  done(): void;
}

/**
 * A progress bar on stderr, redrawn at most every `intervalMillis`, only when
 * stderr is a terminal: scripts and tests see nothing.
 */
export function createProgress(
  io: CliIo,
  label: string,
  total: number,
  intervalMillis = 100,
): Progress {
  const stderr = io.stderr as NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  if (stderr.isTTY !== true || total <= 0) return { tick() {}, done() {} };
  let current = 0;
  let lastDraw = 0;
  let finished = false;
  const draw = () => {
    const width = Math.max(10, Math.min(40, (stderr.columns ?? 80) - label.length - 20));
    const filled = Math.round((Math.min(current, total) / total) * width);
    stderr.write(`\r${label} [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${current}/${total}`);
  };
  draw();
  return {
    tick(n = 1) {
      current += n;
      const now = Date.now();
      if (now - lastDraw >= intervalMillis || current >= total) {
        lastDraw = now;
        draw();
      }
    },
    done() {
      if (finished) return;
      finished = true;
      stderr.write('\r\x1b[2K');
    },
  };
}
