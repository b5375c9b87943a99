/*
 * Loaded with NODE_OPTIONS=--require into a process under test (the bundled CLI): names that
 * exist only in AWS lead to the test bed instead, so a command can be run exactly as README
 * writes it.
 *
 * - A host ending in .rds.amazonaws.com (an RDS endpoint as moto reports it) resolves to
 *   127.0.0.1, and a connection to it on port 5433 goes to REDIRECT_POSTGRES_PORT (the test's
 *   PostgreSQL). TLS still checks the certificate against the name the command gave.
 * - A connection to localhost on REDIRECT_TUNNEL_PORT (the local end of a Session Manager tunnel,
 *   15433 in README) goes to REDIRECT_POSTGRES_PORT too.
 */
const dns = require('dns');
const net = require('net');

const postgresPort = Number(process.env.REDIRECT_POSTGRES_PORT);
const tunnelPort = Number(process.env.REDIRECT_TUNNEL_PORT);
const isRds = (host) => typeof host === 'string' && /\.rds\.amazonaws\.com\.?$/i.test(host);

const lookup = dns.lookup;
dns.lookup = function redirectedLookup(hostname, options, callback) {
  if (!isRds(hostname)) return lookup.apply(this, arguments);
  const cb = typeof options === 'function' ? options : callback;
  const all = typeof options === 'object' && options !== null && options.all;
  process.nextTick(() => (all ? cb(null, [{ address: '127.0.0.1', family: 4 }]) : cb(null, '127.0.0.1', 4)));
  return {};
};

const connect = net.Socket.prototype.connect;
net.Socket.prototype.connect = function redirectedConnect(...args) {
  // Node calls this with (options[, cb]), (port[, host][, cb]), or internally with one array
  // [options, cb] that it normalized already.
  const normalized = Array.isArray(args[0]);
  const first = normalized ? args[0][0] : args[0];
  const callback = normalized ? args[0][1] : undefined;
  const options = typeof first === 'object' && first !== null ? first : undefined;
  const port = Number(options ? options.port : first);
  const host = options ? options.host : (typeof args[1] === 'string' ? args[1] : undefined);
  const toTestBed = (isRds(host) && port === 5433) || (tunnelPort && port === tunnelPort && ['localhost', '127.0.0.1', undefined].includes(host));
  if (!toTestBed) return connect.apply(this, args);
  if (normalized) return connect.call(this, { ...options, host: '127.0.0.1', port: postgresPort }, ...(callback ? [callback] : []));
  if (options) return connect.call(this, { ...options, host: '127.0.0.1', port: postgresPort }, ...args.slice(1));
  const rest = typeof args[1] === 'string' ? args.slice(2) : args.slice(1);
  return connect.call(this, postgresPort, '127.0.0.1', ...rest);
};
