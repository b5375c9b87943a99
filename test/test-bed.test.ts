/**
 * The test bed runs what the library deploys: the PostgreSQL of the default engine version and
 * the Node.js of the functions' runtime. Bumping the library's default without the test bed (or
 * the other way round) fails here, loudly, instead of testing one engine and shipping another.
 */
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { DataPlatform, PostgresDatabase } from '../lib';
import { LAMBDA_NODE_VERSION, lambdaNodeBinary, nodeVersionOf } from './support/lambda-node';
import { pgServerVersion } from './support/postgres-binaries';
import { startPostgres } from './support/postgres-server';
import { stackWithVpc } from './support/app';

/** `17.9` from `17.9`, `17.9.1` or `17.9 (Debian ...)`: the major and minor. */
function majorMinor(version: string): string {
  const m = /^(\d+)\.(\d+)/.exec(version);
  if (!m) throw new Error(`not a PostgreSQL version: '${version}'`);
  return `${m[1]}.${m[2]}`;
}

test("the tests' PostgreSQL server is the library's default engine version (major and minor)", async () => {
  const { stack, vpc } = stackWithVpc();
  new PostgresDatabase(stack, 'Db', { vpc });
  const instances = Object.values(Template.fromStack(stack).findResources('AWS::RDS::DBInstance'));
  expect(instances).toHaveLength(1);
  const deployed = String(instances[0].Properties.EngineVersion);

  const server = await startPostgres();
  try {
    const client = await server.client();
    const { rows } = await client.query<{ server_version: string }>('SHOW server_version');
    await client.end();
    expect(majorMinor(rows[0].server_version)).toBe(majorMinor(deployed));
    expect(majorMinor(pgServerVersion())).toBe(majorMinor(deployed));
  } finally {
    await server.stop();
  }
});

test("the Node.js the handler tests also run on is the functions' Lambda runtime", () => {
  const stack = new Stack(new App(), 'Platform');
  new DataPlatform(stack, 'Data');
  const runtimes = new Set(Object.values(Template.fromStack(stack).findResources('AWS::Lambda::Function'))
    .map((f) => String(f.Properties.Runtime)));
  expect([...runtimes]).toEqual(['nodejs24.x']);
  const runtimeMajor = /^nodejs(\d+)\.x$/.exec([...runtimes][0])![1];

  expect(LAMBDA_NODE_VERSION.split('.')[0]).toBe(runtimeMajor);
  expect(nodeVersionOf(lambdaNodeBinary())).toBe(LAMBDA_NODE_VERSION);
});
