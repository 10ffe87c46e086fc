#!/usr/bin/env node
import { runCli } from './run-cli.js';

// Only the entry file touches process state; runCli is what tests call.
process.exitCode = await runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
});
