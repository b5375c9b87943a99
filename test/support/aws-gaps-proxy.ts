/**
 * A proxy in front of moto for tests that run the CLI (in-process or the bundled bin in its own
 * process): every request goes to moto unchanged, but for what moto 5.2 cannot serve, each
 * answered here and named in `answered`:
 *
 * - AWS Backup ListRecoveryPointsByBackupVault (`GET /backup-vaults/{name}/recovery-points/`) and
 *   ListRecoveryPointsByResource (`GET /resources/{arn}/recovery-points/`): moto answers 404; here
 *   an empty list (no AWS Backup recovery points), the shape of AWS's answer.
 * - RDS DescribeDBInstanceAutomatedBackups: moto's automated backups carry no `RestoreWindow`, the
 *   field RDS publishes the restorable window in, so db-playbook falls back to the oldest
 *   automated snapshot, taken when moto created the instance a moment ago. Each backup gets a
 *   RestoreWindow from `earliestRestorableTime` to now, as a database with that much history has.
 * - RDS DescribeDBInstanceAutomatedBackups in a DR region: moto has no
 *   StartDBInstanceAutomatedBackupsReplication, so it never holds replicated automated backups.
 *   The ones seedDeployment recorded for this moto server (seededReplicatedBackups, or
 *   `replicatedBackups`) are added to moto's answer in their region, with the fields RDS lists
 *   there (source ARN and region, engine, storage, the DR key, RestoreWindow from
 *   `earliestRestorableTime` to now), honouring the DBInstanceAutomatedBackupsArn,
 *   DbiResourceId and DBInstanceIdentifier filters.
 * - RDS RestoreDBInstanceToPointInTime with SourceDBInstanceAutomatedBackupsArn (a restore in the
 *   DR region from replicated backups): moto reads only SourceDBInstanceIdentifier, so it would
 *   ignore the ARN and restore whichever instance of the region it lists first (or fail with
 *   HTTP 500 where there is none). Answered here: RDS's checks (the ARN is one of the region's
 *   replicated backups, the time inside their window), then moto creates the instance
 *   (CreateDBInstance in that region with the request's settings and the backups' engine,
 *   storage, master user and key, as RDS restores them) and its answer is returned as
 *   RestoreDBInstanceToPointInTime's. From then on moto serves the instance like any other.
 *   `restoreRequests` holds each such request's fields.
 * - RDS DescribeDBSnapshots with SnapshotType=awsbackup: no moto API creates an AWS Backup
 *   snapshot (its AWS Backup runs no backup jobs, and CreateDBSnapshot makes manual ones), so
 *   moto's answer is always empty. `awsBackupSnapshots` given to the proxy are added to it in
 *   their region (filtered by DBInstanceIdentifier), as RDS lists the snapshots AWS Backup made.
 *
 * - RDS DescribeDBEngineVersions, DescribeDBMajorEngineVersions, DescribePendingMaintenanceActions
 *   and DescribeCertificates: moto 5.2 answers each with HTTP 500 (not implemented). Answered here
 *   from `engineVersions`, `majorEngineVersions`, `pendingMaintenance` and `certificates` (read at
 *   each request, so a test may change them), in RDS's response shapes (the SDK's model); the
 *   defaults (ENGINE_VERSIONS, MAJOR_ENGINE_VERSIONS, RDS_CERTIFICATES) are the versions, dates
 *   and CAs as the author knows AWS publishes them, not AWS's answer: the tests check what the CLI
 *   does with such answers, not the dates themselves.
 * - RDS DescribeDBInstances: moto names every instance's CA `rds-ca-default`, a name RDS does not
 *   use, and sends no CertificateDetails. Here the CA is RDS's default for new instances,
 *   `rds-ca-rsa2048-g1`, and CertificateDetails carries it with the server certificate's
 *   ValidTill (`serverCertificateValidTill`, default a year from now).
 *
 * A region can also be made unreachable (`unreachableRegions`): every request signed for it has
 * its connection reset before any answer, as when the region's endpoints are down; `refused`
 * lists them as `<region> <service> <operation or path>`.
 *
 * Two layers: the shared forwarding proxy (test/support/moto-proxy.ts) answers what does not
 * depend on the region; an outer one here sees each request's region (from its signature's
 * credential scope) and answers the rest.
 */
import * as http from 'http';
import type { AddressInfo } from 'net';
import { startMotoProxy } from './moto-proxy';
import { SeededReplicatedBackup, seededReplicatedBackups } from './seed-deployment';

/** An RDS snapshot made by AWS Backup (SnapshotType awsbackup), as DescribeDBSnapshots lists it. */
export interface AwsBackupSnapshot {
  readonly region: string;
  /** AWS Backup names them `awsbackup:job-<id>`. */
  readonly id: string;
  /** The backed-up instance (a copy in the DR region keeps it). */
  readonly instanceId: string;
  readonly dbiResourceId?: string;
  readonly created: Date;
  readonly kmsKeyId?: string;
  readonly account?: string;
}

/** Options of startAwsGapsProxy. */
export interface AwsGapsProxyOptions {
  /** The earliest restorable time of every automated backup (moto's own and the replicated ones). */
  readonly earliestRestorableTime: Date;
  /** The replicated automated backups to list and restore from. @default seededReplicatedBackups(upstream) */
  readonly replicatedBackups?: readonly SeededReplicatedBackup[];
  /** AWS Backup's snapshots to list. @default none */
  readonly awsBackupSnapshots?: readonly AwsBackupSnapshot[];
  /** Regions whose requests fail with a reset connection. @default none */
  readonly unreachableRegions?: readonly string[];
  /** RDS's engine versions (DescribeDBEngineVersions). @default ENGINE_VERSIONS */
  readonly engineVersions?: readonly StubEngineVersion[];
  /** RDS's major versions and their support dates (DescribeDBMajorEngineVersions). @default MAJOR_ENGINE_VERSIONS */
  readonly majorEngineVersions?: readonly StubMajorEngineVersion[];
  /** Pending maintenance actions by resource ARN (DescribePendingMaintenanceActions). @default none */
  readonly pendingMaintenance?: Readonly<Record<string, readonly StubMaintenanceAction[]>>;
  /** RDS's CAs (DescribeCertificates). @default RDS_CERTIFICATES */
  readonly certificates?: readonly StubCertificate[];
  /** ValidTill of every instance's server certificate (CertificateDetails). @default a year after the request */
  readonly serverCertificateValidTill?: Date;
}

/** An engine version as DescribeDBEngineVersions lists it. */
export interface StubEngineVersion {
  readonly engine: string;
  readonly version: string;
  readonly family: string;
  /** ValidUpgradeTarget: the versions it may be upgraded to, and whether each is a major upgrade. */
  readonly upgradeTargets: readonly { readonly version: string; readonly major: boolean }[];
}

/** A major version's support dates, as DescribeDBMajorEngineVersions lists them. */
export interface StubMajorEngineVersion {
  readonly engine: string;
  readonly major: string;
  readonly standardStart: Date;
  readonly standardEnd: Date;
  readonly extendedEnd?: Date;
}

/** A pending maintenance action (PendingMaintenanceAction). */
export interface StubMaintenanceAction {
  readonly action: string;
  readonly description?: string;
  readonly autoAppliedAfter?: Date;
  readonly forcedApply?: Date;
  readonly currentApply?: Date;
}

/** A CA (Certificate). */
export interface StubCertificate {
  readonly id: string;
  readonly validFrom: Date;
  readonly validTill: Date;
}

/** RDS for PostgreSQL 17.9 and 18.1: the families, and 17.9's major upgrade target (assumed: see the file comment). */
export const ENGINE_VERSIONS: readonly StubEngineVersion[] = [
  { engine: 'postgres', version: '17.9', family: 'postgres17', upgradeTargets: [{ version: '18.1', major: true }] },
  { engine: 'postgres', version: '18.1', family: 'postgres18', upgradeTargets: [] },
];

/** The end of standard support of RDS for PostgreSQL 17 and 18 (28 February 2030 / 2031, as the release calendar has them to the author's knowledge). */
export const MAJOR_ENGINE_VERSIONS: readonly StubMajorEngineVersion[] = [
  { engine: 'postgres', major: '17', standardStart: new Date('2024-11-18T00:00:00Z'), standardEnd: new Date('2030-02-28T00:00:00Z'), extendedEnd: new Date('2033-02-28T00:00:00Z') },
  { engine: 'postgres', major: '18', standardStart: new Date('2025-11-17T00:00:00Z'), standardEnd: new Date('2031-02-28T00:00:00Z'), extendedEnd: new Date('2034-02-28T00:00:00Z') },
];

/** RDS's CAs: rds-ca-2019 expired in August 2024; the G1 CAs run for decades. */
export const RDS_CERTIFICATES: readonly StubCertificate[] = [
  { id: 'rds-ca-2019', validFrom: new Date('2019-08-22T17:08:50Z'), validTill: new Date('2024-08-22T17:08:50Z') },
  { id: 'rds-ca-rsa2048-g1', validFrom: new Date('2021-05-26T23:35:03Z'), validTill: new Date('2061-05-26T23:35:03Z') },
  { id: 'rds-ca-rsa4096-g1', validFrom: new Date('2021-05-26T23:35:03Z'), validTill: new Date('2121-05-26T23:35:03Z') },
  { id: 'rds-ca-ecc384-g1', validFrom: new Date('2021-05-26T23:35:03Z'), validTill: new Date('2121-05-26T23:35:03Z') },
];

/** An RDS query-protocol answer: `<ActionResponse><ActionResult>inner</ActionResult></ActionResponse>`. */
function rdsAnswer(action: string, inner: string): string {
  return `<${action}Response xmlns="http://rds.amazonaws.com/doc/2014-10-31/"><${action}Result>${inner}</${action}Result>`
    + `<ResponseMetadata><RequestId>aws-gaps-proxy</RequestId></ResponseMetadata></${action}Response>`;
}

/** The answers to the RDS calls moto does not implement, or undefined for any other action. */
function catalogueAnswer(action: string, form: URLSearchParams, region: string, opts: AwsGapsProxyOptions): string | undefined {
  switch (action) {
    case 'DescribeDBEngineVersions': {
      const versions = (opts.engineVersions ?? ENGINE_VERSIONS).filter((v) => (!form.get('Engine') || v.engine === form.get('Engine'))
        && (!form.get('EngineVersion') || v.version === form.get('EngineVersion'))
        && (!form.get('DBParameterGroupFamily') || v.family === form.get('DBParameterGroupFamily')));
      return rdsAnswer(action, `<DBEngineVersions>${versions.map((v) => `<DBEngineVersion>${xmlFields({
        Engine: v.engine, EngineVersion: v.version, DBParameterGroupFamily: v.family, DBEngineDescription: 'PostgreSQL', Status: 'available',
      })}<ValidUpgradeTarget>${v.upgradeTargets.map((t) => `<UpgradeTarget>${xmlFields({
        Engine: v.engine, EngineVersion: t.version, IsMajorVersionUpgrade: t.major, AutoUpgrade: false, Description: `PostgreSQL ${t.version}`,
      })}</UpgradeTarget>`).join('')}</ValidUpgradeTarget></DBEngineVersion>`).join('')}</DBEngineVersions>`);
    }
    case 'DescribeDBMajorEngineVersions': {
      const majors = (opts.majorEngineVersions ?? MAJOR_ENGINE_VERSIONS).filter((v) => (!form.get('Engine') || v.engine === form.get('Engine'))
        && (!form.get('MajorEngineVersion') || v.major === form.get('MajorEngineVersion')));
      const lifecycle = (name: string, start: Date, end: Date) => `<SupportedEngineLifecycle>${xmlFields({
        LifecycleSupportName: name, LifecycleSupportStartDate: start.toISOString(), LifecycleSupportEndDate: end.toISOString(),
      })}</SupportedEngineLifecycle>`;
      return rdsAnswer(action, `<DBMajorEngineVersions>${majors.map((v) => `<DBMajorEngineVersion>${xmlFields({ Engine: v.engine, MajorEngineVersion: v.major })}`
        + `<SupportedEngineLifecycles>${lifecycle('open-source-rds-standard-support', v.standardStart, v.standardEnd)}`
        + `${v.extendedEnd ? lifecycle('open-source-rds-extended-support', v.standardEnd, v.extendedEnd) : ''}</SupportedEngineLifecycles></DBMajorEngineVersion>`).join('')}</DBMajorEngineVersions>`);
    }
    case 'DescribePendingMaintenanceActions': {
      const resource = form.get('ResourceIdentifier');
      const entries = Object.entries(opts.pendingMaintenance ?? {}).filter(([arn, actions]) => actions.length > 0 && arn.split(':')[3] === region && (!resource || arn === resource));
      const date = (d?: Date) => d?.toISOString();
      return rdsAnswer(action, `<PendingMaintenanceActions>${entries.map(([arn, actions]) => `<ResourcePendingMaintenanceActions>${xmlFields({ ResourceIdentifier: arn })}`
        + `<PendingMaintenanceActionDetails>${actions.map((a) => `<PendingMaintenanceAction>${xmlFields({
          Action: a.action, Description: a.description, AutoAppliedAfterDate: date(a.autoAppliedAfter), ForcedApplyDate: date(a.forcedApply),
          CurrentApplyDate: date(a.currentApply), OptInStatus: 'next-maintenance',
        })}</PendingMaintenanceAction>`).join('')}</PendingMaintenanceActionDetails></ResourcePendingMaintenanceActions>`).join('')}</PendingMaintenanceActions>`);
    }
    case 'DescribeCertificates': {
      const id = form.get('CertificateIdentifier');
      const certificates = (opts.certificates ?? RDS_CERTIFICATES).filter((c) => !id || c.id === id);
      if (id && certificates.length === 0) return undefined;
      return rdsAnswer(action, `<DefaultCertificateForNewLaunches>rds-ca-rsa2048-g1</DefaultCertificateForNewLaunches><Certificates>${certificates.map((c) => `<Certificate>${xmlFields({
        CertificateIdentifier: c.id, CertificateType: 'CA', ValidFrom: c.validFrom.toISOString(), ValidTill: c.validTill.toISOString(),
        CertificateArn: `arn:aws:rds:${region}::cert:${c.id}`, CustomerOverride: false,
      })}</Certificate>`).join('')}</Certificates>`);
    }
    default:
      return undefined;
  }
}

/** A running proxy. */
export interface AwsGapsProxy {
  /** `http://127.0.0.1:<port>`: AWS_ENDPOINT_URL for the CLI. */
  readonly url: string;
  /** What was answered here instead of by moto, as `<operation> <detail>`. */
  readonly answered: string[];
  /** Requests refused because their region is unreachable, as `<region> <service> <operation or path>`. */
  readonly refused: string[];
  /** The fields of each RestoreDBInstanceToPointInTime from replicated backups answered here. */
  readonly restoreRequests: URLSearchParams[];
  close(): Promise<void>;
}

/** The region and service of a SigV4-signed request (`Credential=<key>/<date>/<region>/<service>/aws4_request`). */
function credentialScope(headers: http.IncomingHttpHeaders): { region?: string; service?: string } {
  const match = /Credential=[^/]+\/\d{8}\/([^/]+)\/([^/]+)\/aws4_request/.exec(String(headers.authorization ?? ''));
  return match ? { region: match[1], service: match[2] } : {};
}

function xmlEscape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** `<Name>value</Name>` for each defined value. */
function xmlFields(fields: Record<string, string | number | boolean | undefined>): string {
  return Object.entries(fields).filter(([, v]) => v !== undefined).map(([k, v]) => `<${k}>${xmlEscape(String(v))}</${k}>`).join('');
}

/** `body` with `items` appended to its list `<Container>` (moto writes an empty one as `<Container/>`). */
function appendToList(body: string, container: string, items: string): string {
  if (body.includes(`<${container}/>`)) return body.replace(`<${container}/>`, `<${container}>${items}</${container}>`);
  return body.replace(`</${container}>`, `${items}</${container}>`);
}

/** An RDS query-protocol error document, as RDS sends it. */
function rdsError(code: string, message: string): string {
  return `<ErrorResponse xmlns="http://rds.amazonaws.com/doc/2014-10-31/"><Error><Type>Sender</Type><Code>${code}</Code><Message>${xmlEscape(message)}</Message></Error><RequestId>aws-gaps-proxy</RequestId></ErrorResponse>`;
}

function replicatedBackupXml(b: SeededReplicatedBackup, window: { earliest: Date; latest: Date }): string {
  const tags = b.tags.map((t) => `<Tag>${xmlFields({ Key: t.Key, Value: t.Value })}</Tag>`).join('');
  return `<DBInstanceAutomatedBackup>${xmlFields({
    DBInstanceArn: b.sourceArn, DbiResourceId: b.dbiResourceId, Region: b.sourceRegion, DBInstanceIdentifier: b.sourceId,
  })}<RestoreWindow>${xmlFields({ EarliestTime: window.earliest.toISOString(), LatestTime: window.latest.toISOString() })}</RestoreWindow>${xmlFields({
    AllocatedStorage: b.allocatedStorage, Status: 'replicating', Port: b.port, InstanceCreateTime: b.instanceCreateTime.toISOString(),
    MasterUsername: b.masterUsername, Engine: b.engine, EngineVersion: b.engineVersion, LicenseModel: 'postgresql-license',
    Encrypted: b.encrypted, StorageType: b.storageType, KmsKeyId: b.kmsKeyArn, IAMDatabaseAuthenticationEnabled: b.iamAuth,
    BackupRetentionPeriod: b.retentionDays, DBInstanceAutomatedBackupsArn: b.arn,
  })}<TagList>${tags}</TagList></DBInstanceAutomatedBackup>`;
}

function awsBackupSnapshotXml(s: AwsBackupSnapshot): string {
  return `<DBSnapshot>${xmlFields({
    DBSnapshotIdentifier: s.id, DBInstanceIdentifier: s.instanceId, SnapshotCreateTime: s.created.toISOString(), Engine: 'postgres',
    AllocatedStorage: 100, Status: 'available', Port: 5433, EngineVersion: '17.9', SnapshotType: 'awsbackup',
    Encrypted: s.kmsKeyId !== undefined, KmsKeyId: s.kmsKeyId, DBSnapshotArn: `arn:aws:rds:${s.region}:${s.account ?? '123456789012'}:snapshot:${s.id}`,
    DbiResourceId: s.dbiResourceId, OriginalSnapshotCreateTime: s.created.toISOString(),
  })}</DBSnapshot>`;
}

/** Sends `body` to `url` as `req` sent it (method, path, headers), and resolves to the answer. */
function forward(url: string, req: http.IncomingMessage, body: Buffer): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
  const target = new URL(url);
  // The body is sent whole, with its length: not chunked.
  const headers: http.OutgoingHttpHeaders = { ...req.headers, 'content-length': String(body.length) };
  delete headers['transfer-encoding'];
  return new Promise((resolve, reject) => {
    const out = http.request({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers }, (reply) => {
      const parts: Buffer[] = [];
      reply.on('data', (c: Buffer) => parts.push(c));
      reply.on('end', () => resolve({ status: reply.statusCode ?? 502, headers: reply.headers, body: Buffer.concat(parts) }));
      reply.on('error', reject);
    });
    out.on('error', reject);
    out.end(body);
  });
}

export async function startAwsGapsProxy(upstream: string, opts: AwsGapsProxyOptions): Promise<AwsGapsProxy> {
  const answered: string[] = [];
  const refused: string[] = [];
  const restoreRequests: URLSearchParams[] = [];
  const unreachable = new Set(opts.unreachableRegions ?? []);
  const replicated = () => opts.replicatedBackups ?? seededReplicatedBackups(upstream);
  const window = () => ({ earliest: opts.earliestRestorableTime, latest: new Date() });

  const inner = await startMotoProxy(upstream, {
    answer: (req) => {
      if (req.method !== 'GET') return undefined;
      const operation = /^\/backup-vaults\/[^/]+\/recovery-points\/?$/.test(req.path) ? 'ListRecoveryPointsByBackupVault'
        : /^\/resources\/.+\/recovery-points\/?$/.test(req.path) ? 'ListRecoveryPointsByResource' : undefined;
      if (!operation) return undefined;
      answered.push(`${operation} ${req.path}`);
      return { RecoveryPoints: [] };
    },
    rewrite: (req, body) => {
      // moto never sends a RestoreWindow; should a later moto do, its own window stands.
      if (req.form.get('Action') !== 'DescribeDBInstanceAutomatedBackups' || body.includes('<RestoreWindow>') || !body.includes('<DBInstanceAutomatedBackup>')) return body;
      answered.push('DescribeDBInstanceAutomatedBackups RestoreWindow');
      const { earliest, latest } = window();
      const restoreWindow = `<RestoreWindow><EarliestTime>${earliest.toISOString()}</EarliestTime><LatestTime>${latest.toISOString()}</LatestTime></RestoreWindow>`;
      return body.replaceAll('<DBInstanceAutomatedBackup>', `<DBInstanceAutomatedBackup>${restoreWindow}`);
    },
  });

  /** The replicated backups `form` (a DescribeDBInstanceAutomatedBackups) asks for in `region`. */
  const listedBackups = (region: string, form: URLSearchParams) => replicated().filter((b) => b.region === region
    && (!form.get('DBInstanceAutomatedBackupsArn') || form.get('DBInstanceAutomatedBackupsArn') === b.arn)
    && (!form.get('DbiResourceId') || form.get('DbiResourceId') === b.dbiResourceId)
    && (!form.get('DBInstanceIdentifier') || form.get('DBInstanceIdentifier')!.toLowerCase() === b.sourceId));

  /** RestoreDBInstanceToPointInTime from replicated backups: RDS's checks, then the instance made by moto. */
  const restoreFromBackups = async (req: http.IncomingMessage, region: string, form: URLSearchParams): Promise<{ status: number; body: string }> => {
    restoreRequests.push(form);
    const arn = form.get('SourceDBInstanceAutomatedBackupsArn')!;
    answered.push(`RestoreDBInstanceToPointInTime ${arn}`);
    const backup = replicated().find((b) => b.arn === arn && b.region === region);
    if (!backup) return { status: 404, body: rdsError('DBInstanceAutomatedBackupNotFound', `Automated backups ${arn} not found in ${region}.`) };
    const { earliest, latest } = window();
    const time = form.get('RestoreTime');
    if (time && (Date.parse(time) < earliest.getTime() || Date.parse(time) > latest.getTime())) {
      return { status: 400, body: rdsError('InvalidRestoreFault', `The restore time ${time} is outside the restorable window ${earliest.toISOString()} to ${latest.toISOString()}.`) };
    }
    const create = new URLSearchParams();
    const dropped = new Set(['Action', 'TargetDBInstanceIdentifier', 'SourceDBInstanceAutomatedBackupsArn', 'RestoreTime', 'UseLatestRestorableTime']);
    for (const [k, v] of form) if (!dropped.has(k)) create.append(k, v);
    create.set('Action', 'CreateDBInstance');
    create.set('DBInstanceIdentifier', form.get('TargetDBInstanceIdentifier') ?? '');
    const defaults: Record<string, string | undefined> = {
      DBInstanceClass: backup.instanceClass, Port: String(backup.port), StorageType: backup.storageType,
      EnableIAMDatabaseAuthentication: String(backup.iamAuth),
    };
    for (const [k, v] of Object.entries(defaults)) if (v !== undefined && !create.has(k)) create.set(k, v);
    // What the backups determine: the restored instance is the source's engine, storage, master user and (replicated) key.
    const fromBackups: Record<string, string | undefined> = {
      Engine: backup.engine, EngineVersion: backup.engineVersion, AllocatedStorage: String(backup.allocatedStorage),
      MasterUsername: backup.masterUsername, MasterUserPassword: 'the-password-of-the-restore-time', StorageEncrypted: String(backup.encrypted),
      KmsKeyId: backup.kmsKeyArn,
    };
    for (const [k, v] of Object.entries(fromBackups)) if (v !== undefined) create.set(k, v);
    const reply = await forward(upstream, req, Buffer.from(create.toString()));
    const text = reply.body.toString('utf8');
    if (reply.status !== 200) return { status: reply.status, body: text };
    return { status: 200, body: text.replace(/CreateDBInstance(Response|Result)/g, 'RestoreDBInstanceToPointInTime$1') };
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        const body = Buffer.concat(chunks);
        const { region = '', service = '' } = credentialScope(req.headers);
        const form = new URLSearchParams(body.toString('utf8'));
        const action = service === 'rds' ? form.get('Action') ?? undefined : undefined;
        if (unreachable.has(region)) {
          refused.push(`${region} ${service} ${action ?? `${req.method} ${new URL(req.url ?? '/', 'http://proxy').pathname}`}`);
          req.socket.destroy();
          return;
        }
        if (action === 'RestoreDBInstanceToPointInTime' && form.get('SourceDBInstanceAutomatedBackupsArn')) {
          const answer = await restoreFromBackups(req, region, form);
          res.writeHead(answer.status, { 'content-type': 'text/xml' }).end(answer.body);
          return;
        }
        const catalogue = action ? catalogueAnswer(action, form, region, opts) : undefined;
        if (catalogue !== undefined) {
          answered.push(`${action} ${region}`);
          res.writeHead(200, { 'content-type': 'text/xml' }).end(catalogue);
          return;
        }
        if (action === 'DescribeCertificates') {
          answered.push(`${action} ${region} not found`);
          res.writeHead(404, { 'content-type': 'text/xml' }).end(rdsError('CertificateNotFound', `Certificate ${form.get('CertificateIdentifier')} not found.`));
          return;
        }
        const reply = await forward(inner.url, req, body);
        let out = reply.body;
        if (reply.status === 200 && action === 'DescribeDBInstances' && out.includes('<DBInstance>')) {
          const validTill = (opts.serverCertificateValidTill ?? new Date(Date.now() + 365 * 86_400_000)).toISOString();
          const details = `<CertificateDetails><CAIdentifier>rds-ca-rsa2048-g1</CAIdentifier><ValidTill>${validTill}</ValidTill></CertificateDetails>`;
          out = Buffer.from(out.toString('utf8')
            .replaceAll('<CACertificateIdentifier>rds-ca-default</CACertificateIdentifier>', '<CACertificateIdentifier>rds-ca-rsa2048-g1</CACertificateIdentifier>')
            .replaceAll('<DBInstance>', `<DBInstance>${details}`));
        }
        if (reply.status === 200 && action === 'DescribeDBInstanceAutomatedBackups') {
          const backups = listedBackups(region, form);
          if (backups.length > 0) {
            answered.push(`DescribeDBInstanceAutomatedBackups replicated ${backups.map((b) => b.arn).join(' ')}`);
            out = Buffer.from(appendToList(out.toString('utf8'), 'DBInstanceAutomatedBackups', backups.map((b) => replicatedBackupXml(b, window())).join('')));
          }
        }
        if (reply.status === 200 && action === 'DescribeDBSnapshots' && form.get('SnapshotType') === 'awsbackup') {
          const instance = form.get('DBInstanceIdentifier')?.toLowerCase();
          const snapshots = (opts.awsBackupSnapshots ?? []).filter((s) => s.region === region && (!instance || s.instanceId === instance));
          if (snapshots.length > 0) {
            answered.push(`DescribeDBSnapshots awsbackup ${region}`);
            out = Buffer.from(appendToList(out.toString('utf8'), 'DBSnapshots', snapshots.map(awsBackupSnapshotXml).join('')));
          }
        }
        const headers: http.OutgoingHttpHeaders = { ...reply.headers, 'content-length': String(out.length) };
        delete headers['transfer-encoding'];
        res.writeHead(reply.status, headers).end(out);
      })().catch((e: unknown) => {
        if (!res.headersSent) res.writeHead(502).end(String(e));
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    answered,
    refused,
    restoreRequests,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await inner.close();
    },
  };
}
