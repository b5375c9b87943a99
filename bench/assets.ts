/**
 * Asset benchmark: the size of every committed bundle (assets/<name>/index.js and the CLI,
 * minified and gzipped, against the 120 KB goal for handlers) and the CLI's cold start
 * (`db-playbook --help` in a fresh process: median, min and max of 10 runs), on the machine's
 * Node and, when installed (`npm test` installs it), on the Lambda runtime's. It prints figures
 * for the next change to compare with and asserts nothing.
 *
 *   npx tsx bench/assets.ts [--runs 10]
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import * as zlib from 'zlib';
import { lambdaNodeBinary, nodeVersionOf } from '../test/support/lambda-node';

const ROOT = path.resolve(__dirname, '..');
const ASSETS = path.join(ROOT, 'assets');
const HANDLER_GOAL = 120_000;
const runsArg = process.argv.indexOf('--runs');
const RUNS = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 10;

const kb = (bytes: number) => `${(bytes / 1000).toFixed(1)} KB`;

process.stdout.write('asset                                   minified      gzip   goal\n');
for (const dir of fs.readdirSync(ASSETS).sort()) {
  for (const file of fs.readdirSync(path.join(ASSETS, dir)).filter((f) => f.endsWith('.js'))) {
    const body = fs.readFileSync(path.join(ASSETS, dir, file));
    const goal = dir === 'cli' ? '-' : `${body.length <= HANDLER_GOAL ? '<=' : 'OVER'} ${kb(HANDLER_GOAL)}`;
    process.stdout.write(`${`assets/${dir}/${file}`.padEnd(38)} ${kb(body.length).padStart(10)} ${kb(zlib.gzipSync(body).length).padStart(9)}   ${goal}\n`);
  }
}

/** Wall time of `node <cli> --help` in a fresh process, `RUNS` times (after one warm-up for the file cache). */
function coldStarts(node: string): number[] {
  const cli = path.join(ASSETS, 'cli', 'db-playbook.js');
  const once = () => {
    const start = process.hrtime.bigint();
    const r = spawnSync(node, [cli, '--help'], { stdio: ['ignore', 'ignore', 'pipe'] });
    if (r.status !== 0) throw new Error(`db-playbook --help exited ${r.status}: ${r.stderr}`);
    return Number(process.hrtime.bigint() - start) / 1e6;
  };
  once();
  return Array.from({ length: RUNS }, once).sort((a, b) => a - b);
}

const nodes: Array<[string, string]> = [[process.execPath, 'machine']];
try {
  nodes.push([lambdaNodeBinary(), 'Lambda runtime']);
} catch {
  process.stdout.write('\n(the Lambda runtime\'s Node is not installed: `npm test` installs it)\n');
}
process.stdout.write(`\nCLI cold start, db-playbook --help, ${RUNS} runs   median ms   min ms   max ms\n`);
for (const [node, label] of nodes) {
  const ms = coldStarts(node);
  process.stdout.write(`node ${nodeVersionOf(node)} (${label})`.padEnd(44)
    + `${ms[Math.floor(ms.length / 2)].toFixed(0).padStart(9)} ${ms[0].toFixed(0).padStart(8)} ${ms[ms.length - 1].toFixed(0).padStart(8)}\n`);
}
