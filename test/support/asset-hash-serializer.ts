/**
 * Jest snapshot serializer: replaces asset hashes (64 hex characters, alone or inside
 * S3 keys and asset paths) with a placeholder, so a snapshot changes only when the
 * template does, not when a bundled handler or aws-cdk-lib's own assets are rebuilt.
 */
const ASSET_HASH = /[0-9a-f]{64}/g;

const serializer: jest.SnapshotSerializerPlugin = {
  test: (val: unknown) => typeof val === 'string' && ASSET_HASH.test(val) && (ASSET_HASH.lastIndex = 0, true),
  serialize: (val: string) => JSON.stringify(val.replace(ASSET_HASH, '[ASSET HASH]')),
};

module.exports = serializer;
