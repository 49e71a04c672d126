#!/usr/bin/env node
// The package's command line (`lstm-bot import|train|predict|eval|stats|models|rollback|backup|restore`).
// The sources are TypeScript, run through tsx like `npm run cli`.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
