/**
 * The integration test's database probe, in the platform's VPC, wired by
 * DataPlatform.connectFunction(): it reads only what the platform hands every function
 * (DB_PRIMARY_HOST/PORT, DB_USER, DB_REPLICA_HOST/PORT, DB_REPLICA_USER, DB_NAME,
 * DB_PRIMARY_IAM_HOST/PORT, DB_PRIMARY_TLS_NAME, DB_REPLICA_TLS_NAMES, DB_CA_FILE,
 * DB_REPLICA_SECRET_ARN) and connects with verify-full.
 *
 * Authentication: IAM tokens through RDS Proxy (the proxy requires IAM auth), signed for the
 * proxy's own endpoint; a reader name that points to replicas uses the read-only user's
 * password secret instead (replicas take passwords, as the read-write-split example does).
 */
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { Signer } from '@aws-sdk/rds-signer';
import { readCaBundle } from '../../../shared/pg-client';
import { probeDatabase, ProbeReport, ProbeTarget, verifyFullAgainst } from './probe';

/** Where the probe connects, as read from the environment. */
export interface ProbeSettings {
  readonly database: string;
  readonly caFile: string;
  readonly writer: { host: string; port: number; user: string; tlsNames: string[]; iamHost: string; iamPort: number };
  readonly reader: { host: string; port: number; user: string; tlsNames: string[]; auth: 'iam' | 'secret'; secretArn?: string };
}

function required(env: NodeJS.ProcessEnv, name: string): string {
  const value = env[name]?.trim();
  if (!value) throw new Error(`environment variable ${name} is not set: wire the function with DataPlatform.connectFunction()`);
  return value;
}

function list(value: string): string[] {
  return value.split(',').map((v) => v.trim()).filter((v) => v !== '');
}

/**
 * The probe's settings from the platform's environment. The reader authenticates like the writer
 * (IAM, to the proxy) when its TLS names are the writer's: the reader name then points to the
 * proxy (no replicas).
 */
export function probeSettings(env: NodeJS.ProcessEnv): ProbeSettings {
  const writerTls = list(required(env, 'DB_PRIMARY_TLS_NAME'));
  const readerTls = list(required(env, 'DB_REPLICA_TLS_NAMES'));
  const throughProxy = readerTls.every((n) => writerTls.includes(n));
  return {
    database: required(env, 'DB_NAME'),
    caFile: required(env, 'DB_CA_FILE'),
    writer: {
      host: required(env, 'DB_PRIMARY_HOST'),
      port: Number(required(env, 'DB_PRIMARY_PORT')),
      user: required(env, 'DB_USER'),
      tlsNames: writerTls,
      iamHost: required(env, 'DB_PRIMARY_IAM_HOST'),
      iamPort: Number(required(env, 'DB_PRIMARY_IAM_PORT')),
    },
    reader: {
      host: required(env, 'DB_REPLICA_HOST'),
      port: Number(required(env, 'DB_REPLICA_PORT')),
      user: required(env, 'DB_REPLICA_USER'),
      tlsNames: readerTls,
      auth: throughProxy ? 'iam' : 'secret',
      secretArn: throughProxy ? undefined : required(env, 'DB_REPLICA_SECRET_ARN'),
    },
  };
}

export async function handler(): Promise<ProbeReport> {
  const s = probeSettings(process.env);
  const region = required(process.env, 'AWS_REGION');
  const ca = readCaBundle(s.caFile);
  const token = (user: string) => new Signer({ hostname: s.writer.iamHost, port: s.writer.iamPort, username: user, region }).getAuthToken();
  const readerPassword = async (): Promise<string> => {
    if (s.reader.auth === 'iam') return token(s.reader.user);
    const secret = await new SecretsManagerClient({ region }).send(new GetSecretValueCommand({ SecretId: s.reader.secretArn }));
    return (JSON.parse(secret.SecretString ?? '{}') as { password?: string }).password ?? '';
  };
  const writer: ProbeTarget = {
    label: 'writer',
    user: s.writer.user,
    config: { host: s.writer.host, port: s.writer.port, database: s.database, user: s.writer.user, password: await token(s.writer.user), ssl: verifyFullAgainst(s.writer.tlsNames, ca) },
  };
  const reader: ProbeTarget = {
    label: 'reader',
    user: s.reader.user,
    config: { host: s.reader.host, port: s.reader.port, database: s.database, user: s.reader.user, password: await readerPassword(), ssl: verifyFullAgainst(s.reader.tlsNames, ca) },
  };
  const report = await probeDatabase(writer, reader);
  console.log(JSON.stringify(report));
  return report;
}
