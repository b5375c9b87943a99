/**
 * `npm test`'s last step: the tests of code that runs on Lambda (the handlers, the example's
 * function) and the CLI's smoke test, run again under the Lambda runtime's Node.js (nodejs24.x,
 * installed by the pretest step), so that a behaviour of Node 24 alone fails here. The whole
 * suite has run on the machine's Node just before.
 *
 *   npx tsx scripts/test-on-lambda-node.ts [extra jest arguments]
 */
import { spawnSync } from 'child_process';
import { lambdaNodeBinary, nodeVersionOf } from '../test/support/lambda-node';

/** Jest path patterns of those tests. */
const LAMBDA_NODE_TESTS = ['test/lambda/', 'test/examples/read-write-split.router.test.ts', 'test/cli/cli.test.ts'];

const node = lambdaNodeBinary();
process.stdout.write(`test-on-lambda-node: Node.js ${nodeVersionOf(node)}: ${LAMBDA_NODE_TESTS.join(' ')}\n`);
const run = spawnSync(node, [require.resolve('jest/bin/jest'), '--ci', ...LAMBDA_NODE_TESTS, ...process.argv.slice(2)], { stdio: 'inherit' });
process.exitCode = run.status ?? 1;
