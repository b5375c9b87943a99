#!/usr/bin/env node
import { processIo } from './context';
import { EXIT } from './errors';
import { main } from './program';
import { suppressSdkNodeVersionWarning } from './warnings';

suppressSdkNodeVersionWarning(process as unknown as Parameters<typeof suppressSdkNodeVersionWarning>[0]);
main(process.argv.slice(2), processIo()).then((code) => {
  process.exitCode = code;
  // After Ctrl-C, what was under way (a database connection of --verify-sql) must not keep the process up.
  if (code === EXIT.INTERRUPTED) process.exit(code);
});
