/**
 * The answer to CloudFormation: a JSON body PUT to the request's ResponseURL (a presigned S3 URL),
 * as AWS's cfn-response module sends it (an empty content-type, the body's content-length), but
 * retried, bounded in time and within CloudFormation's 4096-byte limit on the body.
 * @see https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/crpg-ref-responses.html
 */
import * as http from 'http';
import * as https from 'https';

/** What CloudFormation reads from the answer. */
export interface CfnResponse {
  readonly Status: 'SUCCESS' | 'FAILED';
  readonly Reason: string;
  readonly PhysicalResourceId: string;
  readonly StackId: string;
  readonly RequestId: string;
  readonly LogicalResourceId: string;
  readonly Data: Record<string, never>;
}

/** CloudFormation's limit on the whole response body. */
export const MAX_BODY_BYTES = 4096;
/** The longest Reason sent, before the body limit shortens it further. */
export const MAX_REASON_LENGTH = 4000;

/**
 * The JSON body, its Reason shortened (ending in '…') until it is at most MAX_REASON_LENGTH
 * characters and the body at most MAX_BODY_BYTES bytes.
 */
export function responseBody(response: CfnResponse): string {
  let reason = response.Reason.length > MAX_REASON_LENGTH ? `${response.Reason.slice(0, MAX_REASON_LENGTH - 1)}…` : response.Reason;
  let body = JSON.stringify({ ...response, Reason: reason });
  while (Buffer.byteLength(body) > MAX_BODY_BYTES && reason.length > 1) {
    const excess = Buffer.byteLength(body) - MAX_BODY_BYTES;
    // A character is at most 6 bytes once JSON-escaped (\u00XX): cut at least enough, at least one.
    reason = `${reason.slice(0, Math.max(0, reason.length - 1 - Math.max(1, Math.ceil(excess / 6))))}…`;
    body = JSON.stringify({ ...response, Reason: reason });
  }
  return body;
}

/**
 * Why `url` cannot be answered to, or undefined when it can: https, or http to 127.0.0.1 only
 * (a test's server). The URL itself is never part of the message: it is a presigned URL.
 */
export function responseUrlProblem(url: unknown): string | undefined {
  if (typeof url !== 'string' || url === '') return 'the event has no ResponseURL';
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'the ResponseURL is not a URL';
  }
  if (parsed.protocol === 'https:') return undefined;
  if (parsed.protocol === 'http:' && parsed.hostname === '127.0.0.1') return undefined;
  return `the ResponseURL is ${parsed.protocol}//${parsed.hostname}, not https (http only to 127.0.0.1)`;
}

/**
 * The path and query exactly as the URL spells them: the presigned signature covers them, and
 * WHATWG URL parsing may re-encode characters or resolve dot segments.
 */
function rawPath(url: string): string {
  const rest = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*([^#]*)/i.exec(url)?.[1] ?? '';
  return rest === '' ? '/' : rest.startsWith('/') ? rest : `/${rest}`;
}

/** One PUT; resolves to the HTTP status. */
function put(url: string, body: string, timeoutMs: number): Promise<number> {
  const parsed = new URL(url);
  const transport = parsed.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = transport.request({
      hostname: parsed.hostname,
      port: parsed.port || undefined,
      path: rawPath(url),
      method: 'PUT',
      headers: { 'content-type': '', 'content-length': Buffer.byteLength(body) },
      timeout: timeoutMs,
    }, (res) => {
      res.resume();
      res.once('end', () => resolve(res.statusCode ?? 0));
      res.once('error', reject);
    });
    req.once('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.once('error', reject);
    req.end(body);
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** What sendResponse did: attempts made, and the last error when none succeeded. */
export interface SendOutcome {
  readonly sent: boolean;
  readonly attempts: number;
  readonly error?: string;
}

/**
 * PUTs the body to `url`, up to `attempts` times (after a network error, HTTP 429 or 5xx, with a
 * growing pause), never past `deadline` (a Date.now() value). Never throws; the outcome's error
 * names the status or the network error, never the URL.
 */
export async function sendResponse(url: string, body: string, deadline: number, attempts = 4): Promise<SendOutcome> {
  let error = 'no time left to send it';
  for (let attempt = 1; attempt <= attempts; attempt++) {
    const left = deadline - Date.now();
    if (left < 200) return { sent: false, attempts: attempt - 1, error };
    try {
      const status = await put(url, body, Math.min(10_000, left));
      if (status >= 200 && status < 300) return { sent: true, attempts: attempt };
      error = `HTTP ${status}`;
      if (status < 500 && status !== 429) return { sent: false, attempts: attempt, error };
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      // Node's messages name the host at most (ENOTFOUND bucket.s3...), never the path or query.
      error = err.code && !err.message.includes(err.code) ? `${err.code}: ${err.message}` : err.message;
    }
    if (attempt < attempts) await sleep(Math.min(250 * 2 ** (attempt - 1), Math.max(0, deadline - Date.now() - 200)));
  }
  return { sent: false, attempts, error };
}
