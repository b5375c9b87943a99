import * as fs from 'fs';
import * as path from 'path';

/**
 * The directory of a prebundled Lambda handler, `assets/<name>/` at the package root. Found by
 * walking up from this file, so it works from the TypeScript sources (lib/private) and from the
 * compiled package (build/lib/private) alike.
 */
export function handlerAssetDir(name: string): string {
  let dir = __dirname;
  for (let i = 0; i < 6; i++) {
    const candidate = path.join(dir, 'assets', name);
    if (fs.existsSync(path.join(candidate, 'index.js'))) return candidate;
    dir = path.dirname(dir);
  }
  throw new Error(`cdk-db-playbook: the prebundled handler assets/${name}/index.js is missing; run 'npm run bundle'`);
}
