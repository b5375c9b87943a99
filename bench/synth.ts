/**
 * Synth benchmark: wall time and peak memory of synthesizing the shipped app (all stacks,
 * cdk-nag AwsSolutions on, handlers prebundled so no bundler runs) against a plain aws-cdk-lib
 * app with the same services written by hand, each in a fresh process, several runs.
 *
 *   npx tsx bench/synth.ts [--runs 3]
 */
import { execFileSync } from 'child_process';
import * as path from 'path';

const runsArg = process.argv.indexOf('--runs');
const RUNS = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 3;
const tsx = path.join(__dirname, '..', 'node_modules', '.bin', 'tsx');

function once(which: string): { ms: number; maxRssMb: number } {
  const out = execFileSync(tsx, [path.join(__dirname, 'synth-child.ts'), which], { encoding: 'utf8', env: { ...process.env, CDK_VALIDATION: 'false' } });
  return JSON.parse(out.trim().split('\n').pop()!);
}

const results: Record<string, Array<{ ms: number; maxRssMb: number }>> = { shipped: [], plain: [] };
for (let i = 0; i < RUNS; i++) for (const which of ['shipped', 'plain']) results[which].push(once(which));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
process.stdout.write(`synth benchmark, ${RUNS} runs each, node ${process.version} (CDK_VALIDATION=false)\n`);
process.stdout.write('app        median ms   median peak MB   runs (ms)\n');
for (const [which, rs] of Object.entries(results)) {
  process.stdout.write(`${which.padEnd(10)} ${median(rs.map((r) => r.ms)).toFixed(0).padStart(9)}   ${median(rs.map((r) => r.maxRssMb)).toFixed(0).padStart(14)}   ${rs.map((r) => r.ms.toFixed(0)).join(', ')}\n`);
}
const ratio = (f: (r: { ms: number; maxRssMb: number }) => number) => median(results.shipped.map(f)) / median(results.plain.map(f));
process.stdout.write(`ratio shipped/plain: time ${ratio((r) => r.ms).toFixed(2)}x, peak memory ${ratio((r) => r.maxRssMb).toFixed(2)}x\n`);
