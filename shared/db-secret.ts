/**
 * The database secret of a cdk-db-playbook deployment (an RDS-generated secret, or any with
 * `username` and `password`), read by the metrics collector and by `db-playbook inspect`.
 */

/** The database secret's fields. */
export interface DbSecret {
  readonly username: string;
  readonly password: string;
  readonly host?: string;
  readonly port?: number;
  readonly dbname?: string;
}

/** Reads the secret's JSON; throws an Error naming the secret (never its value) when it is malformed. */
export function parseSecret(secretString: string | undefined, secretArn: string): DbSecret {
  let parsed: unknown;
  try {
    parsed = JSON.parse(secretString ?? '');
  } catch {
    throw new Error(`secret ${secretArn} is not a JSON object with username and password`);
  }
  const { username, password, host, port, dbname } = (parsed ?? {}) as Record<string, unknown>;
  if (typeof username !== 'string' || typeof password !== 'string') {
    throw new Error(`secret ${secretArn} has no string 'username' and 'password'`);
  }
  const portNumber = typeof port === 'number' ? port : typeof port === 'string' && port.trim() ? Number(port) : undefined;
  return {
    username,
    password,
    host: typeof host === 'string' && host ? host : undefined,
    port: portNumber !== undefined && Number.isSafeInteger(portNumber) ? portNumber : undefined,
    dbname: typeof dbname === 'string' && dbname ? dbname : undefined,
  };
}
