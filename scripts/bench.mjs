#!/usr/bin/env node
// `npm run bench [-- suite... --reps N --quick]`: see bench/run.ts.
import { spawnSync } from 'node:child_process';
const r = spawnSync(process.execPath, [new URL('../dist-test/bench/run.js', import.meta.url).pathname, ...process.argv.slice(2)], { stdio: 'inherit' });
process.exit(r.status ?? 1);
