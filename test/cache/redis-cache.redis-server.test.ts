/**
 * The cache parameter groups on a REAL redis-server: every parameter the synthesized template
 * sets is accepted and read back with CONFIG GET, and the purposes mean what they say.
 */
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { CachePurpose, RedisCache } from '../../lib';
import { RedisServer, startRedis } from '../support/redis-server';

jest.setTimeout(60_000);

/** The Properties of the template's only AWS::ElastiCache::ParameterGroup. */
function templateParameters(purpose: CachePurpose, overrides?: Record<string, string>): Record<string, string> {
  const stack = new Stack(new App(), 'Cache');
  const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 0, subnetConfiguration: [{ name: 'I', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }] });
  new RedisCache(stack, 'Cache', { vpc, purpose, parameters: overrides });
  const groups = Object.values(Template.fromStack(stack).findResources('AWS::ElastiCache::ParameterGroup'));
  expect(groups).toHaveLength(1);
  return groups[0].Properties.Properties;
}

describe.each([
  [CachePurpose.CACHE],
  [CachePurpose.SESSIONS],
  [CachePurpose.RATE_LIMITS],
])('purpose %s on redis-server', (purpose) => {
  let server: RedisServer;
  let parameters: Record<string, string>;
  beforeAll(async () => {
    parameters = templateParameters(purpose);
    server = await startRedis(parameters);
  });
  afterAll(async () => server?.stop());

  test('every template parameter is accepted and read back with CONFIG GET', () => {
    expect(Object.keys(parameters).length).toBeGreaterThan(0);
    for (const [name, value] of Object.entries(parameters)) {
      expect({ name, value: server.cli('CONFIG', 'GET', name)[1] }).toEqual({ name, value });
    }
  });

  test('the eviction policy keeps keys without a TTL unless the purpose is plain cache', () => {
    const policy = server.cli('CONFIG', 'GET', 'maxmemory-policy')[1];
    if (purpose === CachePurpose.CACHE) {
      expect(policy).toMatch(/^allkeys-/);
    } else {
      // volatile-*: only keys with an expiry are candidates for eviction.
      expect(policy).toMatch(/^volatile-/);
    }
  });

  test('under memory pressure the policy behaves as documented', () => {
    // A tiny maxmemory, then fill with keys that have no TTL: allkeys-* evicts some of them
    // (approximated LRU: which ones is sampled, so count evictions, not a given key);
    // volatile-* evicts none and refuses the writes (OOM) instead.
    server.cli('FLUSHALL');
    server.cli('CONFIG', 'RESETSTAT');
    server.cli('SET', 'durable', 'x'.repeat(1000));
    server.cli('CONFIG', 'SET', 'maxmemory', '2mb');
    const replies = server.pipe(Array.from({ length: 3000 }, (_, i) => `SET filler:${i} ${'y'.repeat(1000)}`));
    const oom = replies.some((r) => /OOM/.test(r));
    const evicted = Number(/evicted_keys:(\d+)/.exec(server.cli('INFO', 'stats').join('\n'))![1]);
    const durable = server.cli('EXISTS', 'durable')[0];
    server.cli('CONFIG', 'SET', 'maxmemory', '0');
    if (purpose === CachePurpose.CACHE) {
      expect({ oom, evictedSome: evicted > 0 }).toEqual({ oom: false, evictedSome: true });
    } else {
      expect({ oom, evicted, durable }).toEqual({ oom: true, evicted: 0, durable: '1' });
    }
  });
});

describe('a bad cache parameter', () => {
  test('is refused by redis-server, so the check fails', async () => {
    const bad = templateParameters(CachePurpose.CACHE, { 'maxmemory-policy': 'evict-whatever' });
    expect(bad['maxmemory-policy']).toBe('evict-whatever');
    await expect(startRedis(bad)).rejects.toThrow(/refused to start.*(maxmemory-policy|argument)/is);
  });

  test('an unknown parameter name is refused too', async () => {
    await expect(startRedis({ 'maxmemory-polcy': 'allkeys-lru' })).rejects.toThrow(/refused to start/);
  });
});
