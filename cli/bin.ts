#!/usr/bin/env node
import { processIo } from './context';
import { main } from './program';
import { suppressSdkNodeVersionWarning } from './warnings';

suppressSdkNodeVersionWarning(process as unknown as Parameters<typeof suppressSdkNodeVersionWarning>[0]);
main(process.argv.slice(2), processIo()).then((code) => { process.exitCode = code; });
