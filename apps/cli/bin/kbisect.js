#!/usr/bin/env node
// Thin launcher: the build (npm ci runs `prepare`, i.e. `tsc -b`) puts the code in dist/.
import { main } from '../dist/main.js';

process.exitCode = await main(process.argv.slice(2));
