// The benchmark harness: `npm run bench [-- suite... --reps N --quick]`.
// Builds the C baselines, runs each suite (every case of a suite
// interleaved round-robin, both CPU placements), prints the tables and
// rewrites that suite's section of bench/RESULTS.md.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, release } from 'node:os';
import { channelSuite } from './channel/suite.js';
import { pipeSuite } from './pipe/suite.js';
import { udsSuite } from './uds/suite.js';
import { localSuite } from './local/suite.js';
import { buildDir, root, type Suite } from './util.js';

const suites: Suite[] = [pipeSuite, channelSuite, udsSuite, localSuite];

const args = process.argv.slice(2);
let reps = 5;
let quick = false;
const wanted: string[] = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--reps') reps = Number(args[++i]);
  else if (args[i] === '--quick') quick = true;
  else wanted.push(args[i]!);
}
const selected = wanted.length ? suites.filter((s) => wanted.includes(s.name)) : suites;
if (selected.length === 0) throw new Error(`unknown suite; have: ${suites.map((s) => s.name).join(', ')}`);

mkdirSync(buildDir, { recursive: true });
for (const f of readdirSync(`${root}bench/c`).filter((f) => f.endsWith('.c'))) {
  execFileSync('gcc', ['-O2', '-o', `${buildDir}/${f.slice(0, -2)}`, `${root}bench/c/${f}`], { stdio: 'inherit' });
}

const resultsFile = `${root}bench/RESULTS.md`;
let doc = existsSync(resultsFile)
  ? readFileSync(resultsFile, 'utf8')
  : '# Benchmark results\n\nEach section is replaced when its suite runs again (`npm run bench -- <suite>`).\n';
const machine = `${cpus().length} x ${cpus()[0]?.model.trim()}, Linux ${release()}, Node ${process.version}`;
const command = `npm run bench -- ${selected.map((s) => s.name).join(' ')} --reps ${reps}${quick ? ' --quick' : ''}`;

for (const suite of selected) {
  process.stderr.write(`${suite.title}...\n`);
  const { markdown } = await suite.run({ reps, quick });
  const section = `<!-- suite:${suite.name} -->\n## ${suite.title}\n\nMeasured ${new Date().toISOString().slice(0, 10)} on ${machine}, with \`${command}\`.\n\n${markdown}\n<!-- /suite:${suite.name} -->\n`;
  process.stdout.write(`\n${section}\n`);
  const re = new RegExp(`<!-- suite:${suite.name} -->[\\s\\S]*?<!-- /suite:${suite.name} -->\\n`);
  doc = re.test(doc) ? doc.replace(re, section) : `${doc}\n${section}`;
}
writeFileSync(resultsFile, doc);
