/**
 * The playbook's rules (cli/playbook-rules.ts) on hand-built facts: every rule passes on a
 * deployment as the playbook deploys it, and each rule's failing cases and boundaries.
 */
import {
  BucketFacts,
  checkBackupReplication,
  checkBucket,
  checkCertificate,
  checkDeletionProtection,
  checkIamAuth,
  checkMultiAz,
  checkParameterGroup,
  checkPendingMaintenance,
  checkProxy,
  checkRecoveryPointAge,
  checkReplicaParameters,
  checkReplicas,
  checkRestorableTime,
  checkRetention,
  checkStandardSupport,
  checkStorageEncryption,
  DeploymentFacts,
  evaluate,
  Finding,
  foldFixes,
  hasTlsOnlyStatement,
  InstanceFacts,
  judgeParameter,
  MAX_PARAMETERS_PER_CALL,
  PARAMETER_RULES,
  ParameterRule,
  REPLICA_PARAMETER_RULES,
  summarize,
} from '../../cli/playbook-rules';
import { PLAYBOOK_PARAMETERS, REPLICA_PARAMETERS } from '../../shared/playbook-parameters';

const NOW = new Date('2026-03-01T12:00:00.000Z');
const MIN = 60_000;
const HOUR = 60 * MIN;
const ago = (ms: number) => new Date(NOW.getTime() - ms);

const TLS_POLICY = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{
    Effect: 'Deny',
    Principal: { AWS: '*' },
    Action: 's3:*',
    Resource: ['arn:aws:s3:::blobs', 'arn:aws:s3:::blobs/*'],
    Condition: { Bool: { 'aws:SecureTransport': 'false' } },
  }],
});

function instance(overrides: Partial<InstanceFacts> = {}): InstanceFacts {
  return {
    id: 'prod-db',
    arn: 'arn:aws:rds:us-east-1:123456789012:db:prod-db',
    region: 'us-east-1',
    status: 'available',
    backupRetentionDays: 14,
    latestRestorableTime: ago(3 * MIN),
    multiAz: true,
    deletionProtection: true,
    storageEncrypted: true,
    kmsKeyId: 'arn:aws:kms:us-east-1:123456789012:key/1',
    iamAuth: true,
    readReplicaIds: ['prod-db-replica-1'],
    backupReplicationArns: ['arn:aws:rds:us-west-2:123456789012:auto-backup:ab-1'],
    ...overrides,
  };
}

function bucket(overrides: Partial<BucketFacts> = {}): BucketFacts {
  return {
    name: 'blobs',
    versioning: 'Enabled',
    publicAccessBlock: { blockPublicAcls: true, ignorePublicAcls: true, blockPublicPolicy: true, restrictPublicBuckets: true },
    encryption: { algorithm: 'aws:kms', kmsKeyId: 'arn:aws:kms:us-east-1:123456789012:key/2', bucketKeyEnabled: true },
    policy: TLS_POLICY,
    replication: { rules: [{ id: 'to-dr', status: 'Enabled', destination: 'arn:aws:s3:::blobs-dr' }] },
    ...overrides,
  };
}

/** A deployment as the playbook deploys it. */
function facts(overrides: Partial<DeploymentFacts> = {}): DeploymentFacts {
  return {
    instance: instance(),
    parameterGroup: { name: 'prod-postgres17', applyStatus: 'in-sync', values: { ...PLAYBOOK_PARAMETERS } },
    drRegion: 'us-west-2',
    replicatedBackups: [{ region: 'us-west-2', status: 'replicating', retentionDays: 7, latestTime: ago(6 * MIN) }],
    crossRegionRecoveryPoints: [{ id: 'awsbackup:copyjob-1', region: 'us-west-2', source: 'rds-snapshot', createdAt: ago(5 * HOUR), status: 'available' }],
    replicas: [{
      id: 'prod-db-replica-1', region: 'us-east-1', status: 'available',
      parameterGroup: { name: 'prod-postgres17-replica', values: { ...PLAYBOOK_PARAMETERS, ...REPLICA_PARAMETERS } },
    }],
    proxies: [{ name: 'prod-proxy', targets: [{ resourceId: 'prod-db', type: 'RDS_INSTANCE', state: 'AVAILABLE' }] }],
    buckets: [bucket()],
    ...overrides,
  };
}

const statusOf = (findings: Finding[], id: string) => findings.filter((f) => f.id === id).map((f) => f.status);

describe('a deployment as the playbook deploys it', () => {
  const findings = evaluate(facts(), NOW);

  test('passes every rule', () => {
    expect(findings.filter((f) => f.status !== 'PASS')).toEqual([]);
  });

  test('is checked by every rule, once per resource', () => {
    expect(findings.map((f) => `${f.id} ${f.resource}`)).toEqual([
      'backup.retention prod-db',
      'backup.latest-restorable-time prod-db',
      'instance.multi-az prod-db',
      'instance.deletion-protection prod-db',
      'instance.storage-encrypted prod-db',
      'instance.iam-auth prod-db',
      'dr.backup-replication prod-db',
      'dr.recovery-point-age prod-db',
      'replicas.present prod-db',
      'parameter-group.in-sync prod-postgres17',
      ...PARAMETER_RULES.map((r) => `parameter.${r.name} prod-postgres17`),
      ...REPLICA_PARAMETER_RULES.map((r) => `replica-parameter.${r.name} prod-db-replica-1`),
      'proxy.targets prod-proxy',
      'bucket.versioning blobs',
      'bucket.public-access-block blobs',
      'bucket.encryption blobs',
      'bucket.tls-only blobs',
      'bucket.replication blobs',
    ]);
  });

  test('every finding has a title, a detail and a fix', () => {
    for (const f of findings) {
      expect({ id: f.id, title: f.title.length > 0, detail: f.detail.length > 0, fix: f.fix.length > 20 }).toEqual({ id: f.id, title: true, detail: true, fix: true });
    }
  });

  test('summarize counts each status', () => {
    expect(summarize(findings)).toEqual({ PASS: findings.length, WARN: 0, FAIL: 0 });
    expect(summarize([...findings.slice(0, 2), { ...findings[0], status: 'WARN' }, { ...findings[0], status: 'FAIL' }])).toEqual({ PASS: 2, WARN: 1, FAIL: 1 });
  });
});

describe('backup.retention', () => {
  test.each([
    [0, 'FAIL'], [1, 'WARN'], [6, 'WARN'], [7, 'PASS'], [14, 'PASS'], [35, 'PASS'],
  ])('retention %i days is %s', (days, status) => {
    expect(checkRetention(instance({ backupRetentionDays: days })).status).toBe(status);
  });

  test('fails when backups are off, naming the command and the prop', () => {
    const f = checkRetention(instance({ backupRetentionDays: 0 }));
    expect(f.detail).toMatch(/automated backups are off/);
    expect(f.fix).toContain('aws rds modify-db-instance --region us-east-1 --db-instance-identifier prod-db --backup-retention-period 14 --apply-immediately');
    expect(f.fix).toContain('backupRetention');
  });
});

describe('backup.latest-restorable-time', () => {
  test.each([
    ['now', 0, 'PASS'],
    ['9 min 59 s ago', 10 * MIN - 1000, 'PASS'],
    ['exactly 10 min ago', 10 * MIN, 'PASS'],
    ['10 min 1 ms ago', 10 * MIN + 1, 'FAIL'],
    ['2 h ago', 2 * HOUR, 'FAIL'],
    ['in the future (clock skew)', -30_000, 'PASS'],
  ])('%s is %s', (_label, lagMs, status) => {
    expect(checkRestorableTime(instance({ latestRestorableTime: ago(lagMs) }), NOW).status).toBe(status);
  });

  test('fails when there is no LatestRestorableTime (backups off)', () => {
    const f = checkRestorableTime(instance({ latestRestorableTime: undefined }), NOW);
    expect(f.status).toBe('FAIL');
    expect(f.detail).toMatch(/cannot be restored to a point in time/);
  });

  test('says how far behind it is', () => {
    expect(checkRestorableTime(instance({ latestRestorableTime: ago(25 * MIN) }), NOW).detail).toMatch(/25 min ago/);
  });
});

describe('instance settings', () => {
  test.each([
    ['instance.multi-az', checkMultiAz, 'multiAz', '--multi-az'],
    ['instance.deletion-protection', checkDeletionProtection, 'deletionProtection', '--deletion-protection'],
    ['instance.iam-auth', checkIamAuth, 'iamAuth', '--enable-iam-database-authentication'],
  ] as const)('%s passes when on and fails when off, naming the flag', (id, check, field, flag) => {
    expect(check(instance()).status).toBe('PASS');
    const f = check(instance({ [field]: false }));
    expect({ id: f.id, status: f.status }).toEqual({ id, status: 'FAIL' });
    expect(f.fix).toContain(`--db-instance-identifier prod-db ${flag} --apply-immediately`);
  });

  test('instance.storage-encrypted fails when unencrypted and says it cannot be fixed in place', () => {
    expect(checkStorageEncryption(instance()).detail).toContain('arn:aws:kms:us-east-1:123456789012:key/1');
    const f = checkStorageEncryption(instance({ storageEncrypted: false, kmsKeyId: undefined }));
    expect(f.status).toBe('FAIL');
    expect(f.fix).toMatch(/cannot be turned on in place.*copy-db-snapshot --kms-key-id/);
  });
});

describe('dr.backup-replication', () => {
  test('passes when the DR region holds replicating backups', () => {
    const f = checkBackupReplication(facts());
    expect(f.status).toBe('PASS');
    expect(f.detail).toMatch(/us-west-2 \(replicating, retention 7 days, restorable to /);
  });

  test('warns while replication is starting', () => {
    expect(checkBackupReplication(facts({ replicatedBackups: [{ region: 'us-west-2', status: 'pending' }] })).status).toBe('WARN');
  });

  test('fails when the DR region holds none', () => {
    const f = checkBackupReplication(facts({ replicatedBackups: [], instance: instance({ backupReplicationArns: [] }) }));
    expect(f.status).toBe('FAIL');
    expect(f.detail).toBe('no replicated automated backups of prod-db in us-west-2: PITR exists only in us-east-1');
    expect(f.fix).toContain('aws rds start-db-instance-automated-backups-replication --region us-west-2 --source-db-instance-arn arn:aws:rds:us-east-1:123456789012:db:prod-db');
  });

  test('fails without a DR region, asking for --dr-region', () => {
    const f = checkBackupReplication(facts({ drRegion: undefined, replicatedBackups: [], instance: instance({ backupReplicationArns: [] }) }));
    expect(f.status).toBe('FAIL');
    expect(f.detail).toMatch(/--dr-region/);
  });

  test('fails when the instance replicates elsewhere than the DR region, naming where', () => {
    const f = checkBackupReplication(facts({ replicatedBackups: [], instance: instance({ backupReplicationArns: ['arn:aws:rds:eu-west-1:1:auto-backup:ab-1'] }) }));
    expect(f.status).toBe('FAIL');
    expect(f.detail).toMatch(/replicates to eu-west-1 but us-west-2 holds no replicated backups/);
  });

  test('ignores automated backups in the instance\'s own region', () => {
    expect(checkBackupReplication(facts({ replicatedBackups: [{ region: 'us-east-1', status: 'active' }] })).status).toBe('FAIL');
  });
});

describe('dr.recovery-point-age', () => {
  const point = (ageMs: number, overrides = {}) => ({
    id: 'copy', region: 'us-west-2', source: 'rds-snapshot' as const, createdAt: ago(ageMs), status: 'available', ...overrides,
  });

  test.each([
    ['1 h', HOUR, 'PASS'],
    ['25 h 59 min', 26 * HOUR - MIN, 'PASS'],
    ['exactly 26 h', 26 * HOUR, 'FAIL'],
    ['27 h', 27 * HOUR, 'FAIL'],
  ])('a newest copy %s old is %s', (_label, age, status) => {
    expect(checkRecoveryPointAge(facts({ crossRegionRecoveryPoints: [point(age)] }), NOW).status).toBe(status);
  });

  test('takes the newest of snapshots and vault recovery points', () => {
    const f = checkRecoveryPointAge(facts({
      crossRegionRecoveryPoints: [point(40 * HOUR), point(2 * HOUR, { id: 'arn:aws:backup:us-west-2:1:recovery-point:rp-1', source: 'aws-backup', status: 'COMPLETED' })],
    }), NOW);
    expect(f.status).toBe('PASS');
    expect(f.detail).toMatch(/^arn:aws:backup:us-west-2:1:recovery-point:rp-1 \(aws-backup\) in us-west-2, .*, 2\.0 h old$/);
  });

  test('fails when there is no copy, and ignores copies being made, failed ones and the primary region', () => {
    const f = checkRecoveryPointAge(facts({
      crossRegionRecoveryPoints: [point(HOUR, { status: 'creating' }), point(HOUR, { status: 'FAILED' }), point(HOUR, { region: 'us-east-1' })],
    }), NOW);
    expect(f.status).toBe('FAIL');
    expect(f.detail).toBe('no snapshot or recovery point of prod-db in us-west-2: no offsite copy (3-2-1)');
  });

  test('fails without a DR region', () => {
    expect(checkRecoveryPointAge(facts({ drRegion: undefined, crossRegionRecoveryPoints: [] }), NOW).detail).toMatch(/--dr-region/);
  });

  test('a stale copy names its age and the copy command', () => {
    const f = checkRecoveryPointAge(facts({ crossRegionRecoveryPoints: [point(30 * HOUR)] }), NOW);
    expect(f.detail).toMatch(/30\.0 h old: the daily copy is missing/);
    expect(f.fix).toContain('db-playbook copy --to-region us-west-2');
  });
});

describe('replicas.present', () => {
  test('warns without replicas', () => {
    const f = checkReplicas(facts({ replicas: [] }));
    expect(f.status).toBe('WARN');
    expect(f.fix).toContain('aws rds create-db-instance-read-replica --region us-east-1 --db-instance-identifier prod-db-replica-1 --source-db-instance-identifier prod-db');
  });

  test('warns when a replica is not available', () => {
    const f = checkReplicas(facts({ replicas: [{ id: 'r1', region: 'us-east-1', status: 'storage-full' }] }));
    expect(f.status).toBe('WARN');
    expect(f.detail).toMatch(/r1 not available/);
  });
});

/** A value looser than the playbook's for each parameter, and the status the rule table decided for it. */
const LOOSER: Record<string, [string, 'WARN' | 'FAIL']> = {
  autovacuum_vacuum_scale_factor: ['0.2', 'FAIL'],
  autovacuum_analyze_scale_factor: ['0.1', 'FAIL'],
  autovacuum_vacuum_insert_scale_factor: ['0.2', 'WARN'],
  autovacuum_vacuum_cost_limit: ['200', 'WARN'],
  autovacuum_naptime: ['60', 'WARN'],
  log_autovacuum_min_duration: ['-1', 'WARN'],
  log_min_duration_statement: ['10000', 'FAIL'],
  shared_preload_libraries: ['auto_explain', 'FAIL'],
  'auto_explain.log_min_duration': ['-1', 'WARN'],
  'pg_stat_statements.track_utility': ['1', 'WARN'],
  track_io_timing: ['0', 'WARN'],
  random_page_cost: ['4', 'WARN'],
  log_lock_waits: ['0', 'WARN'],
  log_temp_files: ['-1', 'WARN'],
  idle_in_transaction_session_timeout: ['0', 'WARN'],
  max_slot_wal_keep_size: ['-1', 'WARN'],
  'rds.force_ssl': ['0', 'FAIL'],
  autovacuum: ['0', 'FAIL'],
  hot_standby_feedback: ['1', 'WARN'],
  max_standby_streaming_delay: ['-1', 'WARN'],
  max_standby_archive_delay: ['600000', 'WARN'],
};

describe('parameter rules', () => {
  test('cover every parameter of PLAYBOOK_PARAMETERS and REPLICA_PARAMETERS with its value', () => {
    const primary = Object.fromEntries(PARAMETER_RULES.filter((r) => r.name !== 'autovacuum').map((r) => [r.name, r.expected]));
    expect(primary).toEqual(PLAYBOOK_PARAMETERS);
    expect(Object.fromEntries(REPLICA_PARAMETER_RULES.map((r) => [r.name, r.expected]))).toEqual(REPLICA_PARAMETERS);
    expect(Object.keys(LOOSER).sort()).toEqual([...PARAMETER_RULES, ...REPLICA_PARAMETER_RULES].map((r) => r.name).sort());
  });

  const all: ParameterRule[] = [...PARAMETER_RULES, ...REPLICA_PARAMETER_RULES];
  test.each(all.map((r) => [r.name, r] as const))('%s: the playbook value passes, a looser one is judged per the rule table', (name, rule) => {
    expect(judgeParameter(rule, rule.expected).status).toBe('PASS');
    const [looser, status] = LOOSER[name];
    expect(judgeParameter(rule, looser)).toEqual({ status, detail: expect.stringContaining(looser) });
  });

  test.each([
    ...PARAMETER_RULES.filter((r) => r.name !== 'autovacuum').map((r) => [r.name, r, LOOSER[r.name][1]] as const),
    ['autovacuum', PARAMETER_RULES.find((r) => r.name === 'autovacuum')!, 'PASS'] as const,
    ...REPLICA_PARAMETER_RULES.map((r) => [r.name, r, 'PASS'] as const),
  ])('%s not set in the group (PostgreSQL\'s default) is %s', (_name, rule, status) => {
    expect(judgeParameter(rule, undefined).status).toBe(status);
  });

  const rule = (name: string) => PARAMETER_RULES.find((r) => r.name === name)!;

  test.each([
    ['autovacuum_vacuum_scale_factor', '0.01', 'PASS'],
    ['autovacuum_vacuum_scale_factor', '0.050', 'PASS'],
    ['autovacuum_vacuum_scale_factor', '0.06', 'FAIL'],
    ['autovacuum_vacuum_cost_limit', '4000', 'PASS'],
    ['autovacuum_vacuum_cost_limit', '-1', 'WARN'],
    ['log_min_duration_statement', '5000', 'PASS'],
    ['log_min_duration_statement', '1000', 'WARN'],
    ['log_min_duration_statement', '-1', 'FAIL'],
    ['shared_preload_libraries', 'pg_stat_statements', 'WARN'],
    ['shared_preload_libraries', 'auto_explain, pg_stat_statements,pg_hint_plan', 'PASS'],
    ['shared_preload_libraries', '', 'FAIL'],
    ['track_io_timing', 'on', 'PASS'],
    ['rds.force_ssl', 'true', 'PASS'],
    ['idle_in_transaction_session_timeout', '60000', 'PASS'],
    ['idle_in_transaction_session_timeout', '3600000', 'WARN'],
    ['random_page_cost', '{DBInstanceClassMemory/1000}', 'WARN'],
  ])('%s = %j is %s', (name, value, status) => {
    expect(judgeParameter(rule(name), value).status).toBe(status);
  });

  test('shared_preload_libraries names what is missing', () => {
    expect(judgeParameter(rule('shared_preload_libraries'), 'auto_explain').detail).toBe('auto_explain: missing pg_stat_statements (playbook pg_stat_statements,auto_explain)');
  });

  test('a looser value names the parameter group command (static ones with a reboot) and why it matters', () => {
    const findings = checkParameterGroup(instance(), { name: 'prod-postgres17', applyStatus: 'in-sync', values: { ...PLAYBOOK_PARAMETERS, 'rds.force_ssl': '0', shared_preload_libraries: '' } });
    const ssl = findings.find((f) => f.id === 'parameter.rds.force_ssl')!;
    expect(ssl).toMatchObject({ status: 'FAIL', resource: 'prod-postgres17', detail: '0 (playbook 1): connections without TLS are refused' });
    expect(ssl.fix).toBe('aws rds modify-db-parameter-group --region us-east-1 --db-parameter-group-name prod-postgres17 '
      + '--parameters "ParameterName=rds.force_ssl,ParameterValue=1,ApplyMethod=immediate" '
      + '(library: TunedParameterGroup sets it; drop the override from PostgresDatabase parameters)');
    const libs = findings.find((f) => f.id === 'parameter.shared_preload_libraries')!;
    expect(libs.fix).toContain('ParameterValue=\'pg_stat_statements,auto_explain\',ApplyMethod=pending-reboot", then reboot prod-db in a maintenance window');
  });

  test('a default parameter group fails the playbook values and points to a custom group', () => {
    const findings = checkParameterGroup(instance(), { name: 'default.postgres17', applyStatus: 'in-sync', values: {} });
    const f = findings.find((x) => x.id === 'parameter.autovacuum_vacuum_scale_factor')!;
    expect(f.status).toBe('FAIL');
    expect(f.detail).toMatch(/a default parameter group cannot be changed/);
    expect(f.fix).toMatch(/--db-parameter-group-name <group>.*TunedParameterGroup/);
  });

  test('a parameter group waiting for a reboot is a WARN', () => {
    const findings = checkParameterGroup(instance(), { name: 'g', applyStatus: 'pending-reboot', values: { ...PLAYBOOK_PARAMETERS } });
    expect(statusOf(findings, 'parameter-group.in-sync')).toEqual(['WARN']);
    expect(findings.find((f) => f.id === 'parameter-group.in-sync')!.fix).toContain('aws rds reboot-db-instance --region us-east-1 --db-instance-identifier prod-db');
  });

  test('replica parameters are checked per replica, with the replica group in the fix', () => {
    const findings = checkReplicaParameters({ id: 'r1', region: 'us-east-1', status: 'available', parameterGroup: { name: 'rg', values: { hot_standby_feedback: '1' } } });
    expect(findings.map((f) => [f.id, f.resource, f.status])).toEqual([
      ['replica-parameter.hot_standby_feedback', 'r1', 'WARN'],
      ['replica-parameter.max_standby_streaming_delay', 'r1', 'PASS'],
      ['replica-parameter.max_standby_archive_delay', 'r1', 'PASS'],
    ]);
    expect(findings[0].fix).toContain('--db-parameter-group-name rg --parameters "ParameterName=hot_standby_feedback,ParameterValue=0,ApplyMethod=immediate"');
  });
});

describe('proxy.targets', () => {
  const target = (state: string, extra = {}) => ({ resourceId: 'prod-db', type: 'RDS_INSTANCE', state, ...extra });

  test('warns when no proxy fronts the instance', () => {
    const f = checkProxy(facts({ proxies: [] }));
    expect(f.status).toBe('WARN');
    expect(f.fix).toMatch(/enableConnectionPool/);
  });

  test.each(['UNAVAILABLE', 'REGISTERING', 'UNUSED'])('fails when a target is %s, with the reason', (state) => {
    const f = checkProxy(facts({ proxies: [{ name: 'p', targets: [target(state, { reason: 'AUTH_FAILURE', description: 'bad secret' })] }] }));
    expect(f.status).toBe('FAIL');
    expect(f.detail).toBe(`p -> prod-db (RDS_INSTANCE) ${state} AUTH_FAILURE: bad secret`);
    expect(f.fix).toContain('aws rds describe-db-proxy-targets --region us-east-1 --db-proxy-name p');
  });

  test('fails when the proxy has no targets', () => {
    expect(checkProxy(facts({ proxies: [{ name: 'p', targets: [] }] })).detail).toBe('p has no targets');
  });

  test('warns when the healthy proxy targets another instance', () => {
    const f = checkProxy(facts({ proxies: [{ name: 'p', targets: [target('AVAILABLE', { resourceId: 'restored-db' })] }] }));
    expect(f.status).toBe('WARN');
    expect(f.detail).toMatch(/does not target prod-db/);
  });
});

describe('buckets', () => {
  const find = (b: BucketFacts, id: string) => checkBucket(b).find((f) => f.id === id)!;

  test.each([
    ['Suspended', 'FAIL'], [undefined, 'FAIL'], ['Enabled', 'PASS'],
  ])('bucket.versioning %s is %s', (versioning, status) => {
    expect(find(bucket({ versioning }), 'bucket.versioning').status).toBe(status);
  });

  test('bucket.public-access-block fails when missing or partial, naming what is off', () => {
    expect(find(bucket({ publicAccessBlock: undefined }), 'bucket.public-access-block').status).toBe('FAIL');
    const f = find(bucket({ publicAccessBlock: { blockPublicAcls: true, ignorePublicAcls: true, blockPublicPolicy: false, restrictPublicBuckets: true } }), 'bucket.public-access-block');
    expect({ status: f.status, detail: f.detail }).toEqual({ status: 'FAIL', detail: 'off: BlockPublicPolicy' });
  });

  test.each([
    ['aws:kms', 'PASS'], ['aws:kms:dsse', 'PASS'], ['AES256', 'WARN'], [undefined, 'FAIL'],
  ])('bucket.encryption %s is %s', (algorithm, status) => {
    expect(find(bucket({ encryption: algorithm ? { algorithm } : undefined }), 'bucket.encryption').status).toBe(status);
  });

  test.each([
    ['no policy', undefined, false],
    ['the playbook statement', TLS_POLICY, true],
    ['Principal *, a boolean false, Resource *, Action *', JSON.stringify({ Statement: { Effect: 'Deny', Principal: '*', Action: '*', Resource: '*', Condition: { Bool: { 'aws:securetransport': false } } } }), true],
    ['Allow instead of Deny', TLS_POLICY.replace('"Deny"', '"Allow"'), false],
    ['only s3:GetObject', TLS_POLICY.replace('"s3:*"', '"s3:GetObject"'), false],
    ['another bucket', TLS_POLICY.replace(/blobs/g, 'other'), false],
    ['the bucket but not its objects', TLS_POLICY.replace(',"arn:aws:s3:::blobs/*"', ''), false],
    ['SecureTransport true', TLS_POLICY.replace('"false"', '"true"'), false],
    ['one principal only', TLS_POLICY.replace('"*"}', '"arn:aws:iam::1:root"}'), false],
    ['not JSON', '{', false],
  ])('bucket.tls-only with %s', (_label, policy, tls) => {
    expect(hasTlsOnlyStatement('blobs', policy)).toBe(tls);
    expect(find(bucket({ policy }), 'bucket.tls-only').status).toBe(tls ? 'PASS' : 'FAIL');
  });

  test('bucket.replication fails without rules or with disabled rules', () => {
    expect(find(bucket({ replication: undefined }), 'bucket.replication').detail).toBe('no replication: no offsite copy of the objects');
    const f = find(bucket({ replication: { rules: [{ status: 'Disabled' }] } }), 'bucket.replication');
    expect({ status: f.status, detail: f.detail }).toEqual({ status: 'FAIL', detail: 'every replication rule is disabled' });
  });

  test('each bucket rule names the s3api command', () => {
    const fixes = Object.fromEntries(checkBucket(bucket()).map((f) => [f.id, f.fix.split(' ').slice(0, 5).join(' ')]));
    expect(fixes).toEqual({
      'bucket.versioning': 'aws s3api put-bucket-versioning --bucket blobs',
      'bucket.public-access-block': 'aws s3api put-public-access-block --bucket blobs',
      'bucket.encryption': 'aws s3api put-bucket-encryption --bucket blobs',
      'bucket.tls-only': 'aws s3api put-bucket-policy --bucket blobs',
      'bucket.replication': 'aws s3api put-bucket-replication --bucket blobs',
    });
  });
});

test('evaluate reports several misconfigurations at once', () => {
  const findings = evaluate(facts({
    instance: instance({ multiAz: false, backupRetentionDays: 3 }),
    buckets: [bucket(), bucket({ name: 'open', publicAccessBlock: undefined, policy: TLS_POLICY.replace(/blobs/g, 'open') })],
  }), NOW);
  expect(findings.filter((f) => f.status !== 'PASS').map((f) => [f.id, f.resource, f.status])).toEqual([
    ['backup.retention', 'prod-db', 'WARN'],
    ['instance.multi-az', 'prod-db', 'FAIL'],
    ['bucket.public-access-block', 'open', 'FAIL'],
  ]);
});

describe('foldFixes', () => {
  test('the loose parameters of a custom group share one modify-db-parameter-group call, and a static one adds the reboot', () => {
    const d = facts({ parameterGroup: { name: 'prod-postgres17', values: { ...PLAYBOOK_PARAMETERS, track_io_timing: '0', shared_preload_libraries: 'auto_explain' } } });
    const findings = evaluate(d, NOW);
    const folded = foldFixes(d, findings);
    expect(folded.map((f) => f.findings.map((x) => x.id))).toEqual([['parameter.shared_preload_libraries', 'parameter.track_io_timing']]);
    expect(folded[0].fix).toBe('aws rds modify-db-parameter-group --region us-east-1 --db-parameter-group-name prod-postgres17 --parameters '
      + '"ParameterName=shared_preload_libraries,ParameterValue=\'pg_stat_statements,auto_explain\',ApplyMethod=pending-reboot" '
      + '"ParameterName=track_io_timing,ParameterValue=1,ApplyMethod=immediate", then reboot prod-db in a maintenance window '
      + '(library: TunedParameterGroup sets it; drop the override from PostgresDatabase parameters)');
  });

  test('on a default parameter group, the one advice for every parameter is given once', () => {
    const d = facts({ parameterGroup: { name: 'default.postgres17', values: {} } });
    const findings = evaluate(d, NOW);
    const parameterFindings = findings.filter((f) => f.id.startsWith('parameter.') && f.status !== 'PASS');
    expect(parameterFindings.length).toBeGreaterThan(10);
    const folded = foldFixes(d, findings);
    expect(folded).toHaveLength(1);
    expect(folded[0].findings).toEqual(parameterFindings);
    expect(folded[0].fix).toMatch(/^create a custom group with the playbook's values and `aws rds modify-db-instance .*--db-parameter-group-name <group>/);
  });

  test('a replica\'s loose parameters share a call on its own group; other fixes stay one per finding, in report order', () => {
    const d = facts({
      instance: instance({ multiAz: false }),
      replicas: [{ id: 'prod-db-replica-1', region: 'us-east-1', status: 'available',
        parameterGroup: { name: 'prod-postgres17-replica', values: { hot_standby_feedback: '1', max_standby_streaming_delay: '-1' } } }],
      buckets: [bucket({ versioning: undefined, replication: undefined })],
    });
    const folded = foldFixes(d, evaluate(d, NOW));
    expect(folded.map((f) => f.findings.map((x) => `${x.id} ${x.resource}`))).toEqual([
      ['instance.multi-az prod-db'],
      ['replica-parameter.hot_standby_feedback prod-db-replica-1', 'replica-parameter.max_standby_streaming_delay prod-db-replica-1'],
      ['bucket.versioning blobs'],
      ['bucket.replication blobs'],
    ]);
    expect(folded[1].fix).toMatch(/^aws rds modify-db-parameter-group --region us-east-1 --db-parameter-group-name prod-postgres17-replica --parameters "ParameterName=hot_standby_feedback,ParameterValue=0,ApplyMethod=immediate" "ParameterName=max_standby_streaming_delay,/);
  });

  test('PASS findings have no fix to fold', () => {
    expect(foldFixes(facts(), evaluate(facts(), NOW))).toEqual([]);
  });

  test('one call can set every parameter a group has a rule for (the API takes at most 20)', () => {
    expect(PARAMETER_RULES.length).toBeLessThanOrEqual(MAX_PARAMETERS_PER_CALL);
    expect(REPLICA_PARAMETER_RULES.length).toBeLessThanOrEqual(MAX_PARAMETERS_PER_CALL);
  });
});

describe('support dates, maintenance, certificates (issue 18)', () => {
  const DAY = 24 * HOUR;
  const inDays = (days: number) => new Date(NOW.getTime() + days * DAY);
  const lifecycle = (standardSupportEnd?: Date, lifecycleSupport?: string) => ({
    engine: 'postgres', engineVersion: '17.9', majorVersion: '17', standardSupportEnd, extendedSupportEnd: inDays(1200), lifecycleSupport,
  });

  test('standard support: PASS beyond 180 days, WARN at 180 days and within, FAIL past the end', () => {
    expect(checkStandardSupport(instance(), lifecycle(inDays(181)), NOW).status).toBe('PASS');
    expect(checkStandardSupport(instance(), lifecycle(inDays(180)), NOW).status).toBe('WARN');
    expect(checkStandardSupport(instance(), lifecycle(inDays(0)), NOW).status).toBe('WARN');
    expect(checkStandardSupport(instance(), lifecycle(inDays(-1)), NOW)).toMatchObject({ status: 'FAIL', detail: expect.stringMatching(/ended 2026-02-28, 1 days ago: RDS bills Extended Support/) });
  });

  test('standard support: with Extended Support disabled, the detail says RDS upgrades by itself', () => {
    expect(checkStandardSupport(instance(), lifecycle(inDays(30), 'open-source-rds-extended-support-disabled'), NOW).detail)
      .toMatch(/RDS upgrades the major version by itself after it/);
  });

  test('pending maintenance: WARN only when an action is applied within 30 days (or overdue)', () => {
    expect(checkPendingMaintenance(instance(), [], NOW).status).toBe('PASS');
    expect(checkPendingMaintenance(instance(), [{ action: 'system-update', applyDate: inDays(31) }], NOW).status).toBe('PASS');
    expect(checkPendingMaintenance(instance(), [{ action: 'system-update', applyDate: inDays(30) }], NOW).status).toBe('WARN');
    expect(checkPendingMaintenance(instance(), [{ action: 'db-upgrade', applyDate: inDays(-2) }], NOW).status).toBe('WARN');
    expect(checkPendingMaintenance(instance(), [{ action: 'db-upgrade' }], NOW)).toMatchObject({ status: 'PASS', detail: expect.stringContaining('db-upgrade (not scheduled)') });
  });

  test('CA certificate: WARN within 90 days of the CA\'s expiry, FAIL once the CA or the server certificate expired, WARN when unknown', () => {
    const cert = (caDays?: number, serverDays?: number) => ({ caIdentifier: 'rds-ca-rsa2048-g1', caValidTill: caDays === undefined ? undefined : inDays(caDays), serverValidTill: serverDays === undefined ? undefined : inDays(serverDays) });
    expect(checkCertificate(instance(), cert(91, 300), NOW).status).toBe('PASS');
    expect(checkCertificate(instance(), cert(90, 300), NOW).status).toBe('WARN');
    // RDS renews the server certificate itself: only its expiry counts.
    expect(checkCertificate(instance(), cert(5000, 10), NOW).status).toBe('PASS');
    expect(checkCertificate(instance(), cert(5000, -1), NOW).status).toBe('FAIL');
    expect(checkCertificate(instance(), cert(-1, 300), NOW).status).toBe('FAIL');
    expect(checkCertificate(instance(), cert(undefined, 300), NOW).status).toBe('WARN');
  });

  test('evaluate runs them when the facts are there, right after the restore-time check', () => {
    const ids = evaluate(facts({ lifecycle: lifecycle(inDays(1000)), pendingMaintenance: [], certificate: { caIdentifier: 'x', caValidTill: inDays(1000) } }), NOW).map((f) => f.id);
    expect(ids.slice(0, 5)).toEqual(['backup.retention', 'backup.latest-restorable-time', 'engine.standard-support', 'maintenance.pending', 'instance.ca-certificate']);
  });
});
