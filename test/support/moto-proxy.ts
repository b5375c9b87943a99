/**
 * An HTTP proxy in front of moto, for tests that run the bundled CLI in its own process (where no
 * SDK call can be spied on): each request goes to moto unchanged unless `answer` answers it
 * here, and each of moto's answers may be rewritten by `rewrite`. The proxies built on it
 * (aws-gaps-proxy, the CLI tests' status-proxy) say what they change and why.
 */
import * as http from 'http';
import type { AddressInfo } from 'net';

/** A request as the proxy sees it: method, path (no query) and the form fields of a query-protocol body. */
export interface ProxiedRequest {
  readonly method: string;
  readonly path: string;
  readonly form: URLSearchParams;
}

/** What the proxy does besides forwarding. */
export interface MotoProxyHandlers {
  /**
   * Answers a request here (HTTP 200) instead of moto: a string is sent as it is, as XML (the query
   * protocol's answers, e.g. RDS's), anything else as a JSON body; undefined forwards it.
   */
  readonly answer?: (req: ProxiedRequest) => unknown | undefined;
  /** moto's answer (HTTP 200 only) as it reaches the client. */
  readonly rewrite?: (req: ProxiedRequest, body: string) => string;
}

/** A running proxy. */
export interface MotoProxy {
  /** `http://127.0.0.1:<port>`: AWS_ENDPOINT_URL for the CLI. */
  readonly url: string;
  close(): Promise<void>;
}

export async function startMotoProxy(upstream: string, handlers: MotoProxyHandlers): Promise<MotoProxy> {
  const target = new URL(upstream);
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const request: ProxiedRequest = {
        method: req.method ?? 'GET',
        path: new URL(req.url ?? '/', 'http://proxy').pathname,
        form: new URLSearchParams(body.toString('utf8')),
      };
      const answer = handlers.answer?.(request);
      if (answer !== undefined) {
        const xml = typeof answer === 'string';
        const out = Buffer.from(xml ? answer : JSON.stringify(answer));
        res.writeHead(200, { 'content-type': xml ? 'text/xml' : 'application/json', 'content-length': String(out.length) }).end(out);
        return;
      }
      const forward = http.request({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers }, (reply) => {
        const parts: Buffer[] = [];
        reply.on('data', (c: Buffer) => parts.push(c));
        reply.on('end', () => {
          let out = Buffer.concat(parts);
          if (handlers.rewrite && reply.statusCode === 200) out = Buffer.from(handlers.rewrite(request, out.toString('utf8')));
          res.writeHead(reply.statusCode ?? 502, { ...reply.headers, 'content-length': String(out.length) }).end(out);
        });
      });
      forward.on('error', (e) => res.writeHead(502).end(String(e)));
      forward.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}
