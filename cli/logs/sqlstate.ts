/**
 * The SQLSTATE of a logged error. RDS's log_line_prefix (`%t:%r:%u@%d:[%p]:`) has no `%e`, and
 * cannot be changed, so a line carries its SQLSTATE only when log_error_verbosity is `verbose`
 * (`ERROR:  42P01: relation "x" does not exist`; an RDS parameter the tuned group leaves at
 * `default`). Otherwise it is derived from the message text: PostgreSQL's messages for the common
 * errors are fixed English texts (lc_messages is `C`/English on RDS), each raised with one
 * SQLSTATE (src/backend/utils/errcodes.txt and the ereport calls that use them). A message not in
 * the table is reported with SQLSTATE null, grouped by its text with literals and names masked.
 *
 * `exact` says which: true when the line held the code, false when it was derived.
 */

/** [pattern, SQLSTATE, condition name]: first match wins. */
const MESSAGES: readonly (readonly [RegExp, string, string])[] = [
  [/^deadlock detected/, '40P01', 'deadlock_detected'],
  [/^could not serialize access/, '40001', 'serialization_failure'],
  [/^canceling statement due to conflict with recovery/, '40001', 'serialization_failure'],
  [/^canceling statement due to statement timeout/, '57014', 'query_canceled'],
  [/^canceling statement due to user request/, '57014', 'query_canceled'],
  [/^canceling statement due to lock timeout/, '55P03', 'lock_not_available'],
  [/^could not obtain lock on/, '55P03', 'lock_not_available'],
  [/^terminating connection due to idle-in-transaction timeout/, '25P03', 'idle_in_transaction_session_timeout'],
  [/^terminating connection due to idle-session timeout/, '57P05', 'idle_session_timeout'],
  [/^terminating connection due to administrator command/, '57P01', 'admin_shutdown'],
  [/^terminating connection due to conflict with recovery/, '40001', 'serialization_failure'],
  [/^current transaction is aborted/, '25P02', 'in_failed_sql_transaction'],
  [/^duplicate key value violates unique constraint/, '23505', 'unique_violation'],
  [/^insert or update on table .* violates foreign key constraint/, '23503', 'foreign_key_violation'],
  [/^update or delete on table .* violates foreign key constraint/, '23503', 'foreign_key_violation'],
  [/^null value in column .* violates not-null constraint/, '23502', 'not_null_violation'],
  [/violates check constraint/, '23514', 'check_violation'],
  [/violates exclusion constraint/, '23P01', 'exclusion_violation'],
  [/^division by zero/, '22012', 'division_by_zero'],
  [/^invalid input syntax for/, '22P02', 'invalid_text_representation'],
  [/^value too long for type/, '22001', 'string_data_right_truncation'],
  [/out of range/, '22003', 'numeric_value_out_of_range'],
  [/^invalid byte sequence for encoding/, '22021', 'character_not_in_repertoire'],
  [/^syntax error at or near/, '42601', 'syntax_error'],
  [/^syntax error at end of input/, '42601', 'syntax_error'],
  [/^relation .* does not exist/, '42P01', 'undefined_table'],
  [/^missing FROM-clause entry for table/, '42P01', 'undefined_table'],
  [/^column .* does not exist/, '42703', 'undefined_column'],
  [/^function .* does not exist/, '42883', 'undefined_function'],
  [/^operator does not exist/, '42883', 'undefined_function'],
  [/^schema .* does not exist/, '3F000', 'invalid_schema_name'],
  [/^relation .* already exists/, '42P07', 'duplicate_table'],
  [/^permission denied/, '42501', 'insufficient_privilege'],
  [/^must be owner of/, '42501', 'insufficient_privilege'],
  [/^column reference .* is ambiguous/, '42702', 'ambiguous_column'],
  [/^prepared statement .* does not exist/, '26000', 'invalid_sql_statement_name'],
  [/^password authentication failed for user/, '28P01', 'invalid_password'],
  [/^PAM authentication failed for user/, '28000', 'invalid_authorization_specification'],
  [/authentication failed for user/, '28000', 'invalid_authorization_specification'],
  [/^no pg_hba\.conf entry for/, '28000', 'invalid_authorization_specification'],
  [/^role .* does not exist/, '28000', 'invalid_authorization_specification'],
  [/^role .* is not permitted to log in/, '28000', 'invalid_authorization_specification'],
  [/^database .* does not exist/, '3D000', 'invalid_catalog_name'],
  [/^sorry, too many clients already/, '53300', 'too_many_connections'],
  [/^remaining connection slots are reserved/, '53300', 'too_many_connections'],
  [/^too many connections for (role|database)/, '53300', 'too_many_connections'],
  [/^out of memory/, '53200', 'out_of_memory'],
  [/^could not (extend|write to) file .*No space left on device/, '53100', 'disk_full'],
  [/^temporary file size exceeds temp_file_limit/, '53400', 'configuration_limit_exceeded'],
  [/^the database system is (starting up|shutting down|in recovery mode|not yet accepting connections)/, '57P03', 'cannot_connect_now'],
  [/^cannot execute .* in a read-only transaction/, '25006', 'read_only_sql_transaction'],
  [/^canceling autovacuum task/, '57014', 'query_canceled'],
  [/^could not receive data from client/, '08006', 'connection_failure'],
  [/^unexpected EOF on client connection/, '08006', 'connection_failure'],
  [/^connection to client lost/, '08006', 'connection_failure'],
  [/^could not accept SSL connection/, '08P01', 'protocol_violation'],
  [/^unsupported frontend protocol/, '08P01', 'protocol_violation'],
  [/^invalid length of startup packet/, '08P01', 'protocol_violation'],
];

/** The SQLSTATE and condition of an error message, and whether the line said so itself. */
export interface SqlState {
  /** Five characters, or null when the message is not one the table knows. */
  readonly code: string | null;
  readonly condition: string | null;
  readonly exact: boolean;
  /** The message without a leading `XXXXX: ` code. */
  readonly message: string;
}

const VERBOSE_CODE = /^([0-9A-Z]{5}): /;

export function sqlStateOf(message: string): SqlState {
  const verbose = VERBOSE_CODE.exec(message);
  if (verbose) {
    const text = message.slice(verbose[0].length);
    return { code: verbose[1], condition: MESSAGES.find(([re, code]) => code === verbose[1] && re.test(text))?.[2] ?? null, exact: true, message: text };
  }
  const hit = MESSAGES.find(([re]) => re.test(message));
  return { code: hit?.[1] ?? null, condition: hit?.[2] ?? null, exact: false, message };
}

/** A message with its values masked, to group errors of one kind: quoted names and strings, numbers. */
export function messagePattern(message: string): string {
  return message.split('\n')[0]
    .replace(/"(?:[^"]|"")*"/g, '"…"')
    .replace(/'(?:[^']|'')*'/g, "'…'")
    .replace(/\b\d+(\.\d+)?\b/g, 'N')
    .slice(0, 200);
}
