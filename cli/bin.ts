#!/usr/bin/env node
import { processIo } from './context';
import { main } from './program';

main(process.argv.slice(2), processIo()).then((code) => { process.exitCode = code; });
