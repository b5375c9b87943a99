import { Client, ClientConfig } from 'pg';

/**
 * A `pg` Client for a short job against a database that may be unreachable or slow: every wait
 * is bounded by `timeoutMs` (connect, each statement server-side, each query client-side), and
 * an idle connection that the server drops cannot crash the process.
 */
export function boundedClient(connection: ClientConfig, applicationName: string, timeoutMs: number): Client {
  const client = new Client({
    application_name: applicationName,
    ...connection,
    connectionTimeoutMillis: timeoutMs,
    statement_timeout: timeoutMs,
    // The client-side limit catches a server that stops answering (no statement_timeout then).
    query_timeout: timeoutMs + 1000,
  });
  // An idle client whose server goes away emits 'error'; unhandled, that would crash the function.
  client.on('error', () => undefined);
  return client;
}
