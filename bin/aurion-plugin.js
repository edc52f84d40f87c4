#!/usr/bin/env node
import { main } from '../dist/src/cli/main.bundle.js';

process.exitCode = await main(process.argv.slice(2));
