#!/usr/bin/env node
import { runCli } from './run-cli.js';

// `skein sessions | head`: once the reader has gone, further output has nowhere
// to go. Stop quietly with 0, as git does, instead of dying on an unhandled
// EPIPE with a stack trace (tail would otherwise also keep following).
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(0);
    throw error;
  });
}

// Only the entry file touches process state; runCli is what tests call.
process.exitCode = await runCli(process.argv.slice(2), {
  // A getter: process.stdin is created only by a command that reads it.
  get stdin() {
    return process.stdin;
  },
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
});
