/**
 * The package's SBOM: a CycloneDX 1.6 JSON document listing the npm packages whose code is inside
 * the committed bundles (assets/<name>/index.js, assets/cli/db-playbook.js), built from esbuild's
 * metafile of each bundle. A consumer's `npm audit` cannot see these: the package declares no
 * dependencies, since pg, commander and the CLI's AWS SDK clients are bundled, not installed.
 *
 * scripts/bundle-handlers.mjs writes it (sbom.cdx.json at the package root, in package.json's
 * "files") with the bundles and `--check` compares it with a fresh one, as it does the bundles.
 *
 * What is listed, and how:
 * - a component per package (name and version from its package.json, so from the lockfile's
 *   install) with at least one byte in an output: a package esbuild tree-shook to nothing is not in
 *   the bundle. The package of an input is the directory after the input's last node_modules/;
 *   every other input must be this repository's own source (the metadata component);
 * - `licenses`: package.json's `license` (or the legacy `licenses`), as an SPDX id, an SPDX
 *   expression, or a name; a package with none stops the build (name it here before bundling it);
 * - `purl` (also the bom-ref) `pkg:npm/<scope>/<name>@<version>`, the scope's `@` as %40;
 * - a `cdk-db-playbook:bundle` property per bundle that holds it;
 * - `dependencies`: package-to-package imports seen in the metafile;
 * - the metadata component's `cdk-db-playbook:external` properties: modules a bundle requires but
 *   does not contain (other than Node's own), `<bundle>: <module>`: the AWS SDK clients the
 *   handlers take from the Lambda runtime, pg's optional `pg-native`, never loaded.
 * No timestamp and no serialNumber (both optional in CycloneDX): the file is committed and compared
 * byte for byte, so it depends on the bundles' inputs only.
 *
 * Hand-written rather than @cyclonedx/cyclonedx-esbuild, which reads the same metafile: that plugin
 * would be a new devDependency (and lockfile change), it writes a BOM file per esbuild build where
 * the package ships one for all its bundles, and it has no in-memory result for `--check`.
 */
import * as fs from 'node:fs';
import { builtinModules } from 'node:module';
import * as path from 'node:path';

/** The SBOM's path, relative to the package root. */
export const SBOM_FILE = 'sbom.cdx.json';
const BUNDLE_PROPERTY = 'cdk-db-playbook:bundle';
const EXTERNAL_PROPERTY = 'cdk-db-playbook:external';
const SPDX_ID = /^[A-Za-z0-9][A-Za-z0-9.+-]*$/;
const SPDX_EXPRESSION = /^\(?[A-Za-z0-9][A-Za-z0-9.+-]*\)?( (AND|OR|WITH) \(?[A-Za-z0-9][A-Za-z0-9.+-]*\)?)+$/;

/** The package directory of a metafile input (`node_modules/@scope/name`), or undefined for own source. */
export function packageDirOf(input) {
  // Greedy: the last node_modules/ wins, so a nested copy is its own package.
  return /^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(input.replace(/\\/g, '/'))?.[1];
}

/** CycloneDX `licenses` of a package.json; throws when it declares none. */
export function licensesOf(pkg, where) {
  let value = pkg.license;
  if (value && typeof value === 'object') value = value.type;
  if (!value && Array.isArray(pkg.licenses)) {
    const types = pkg.licenses.map((l) => (typeof l === 'string' ? l : l?.type)).filter((t) => typeof t === 'string' && t.trim());
    value = types.length > 1 ? `(${types.join(' OR ')})` : types[0];
  }
  if (typeof value !== 'string' || !value.trim()) {
    throw new Error(`${where}/package.json declares no license: an SBOM entry needs one (check the package's LICENSE file and record it in scripts/sbom.mjs before bundling it)`);
  }
  value = value.trim();
  if (SPDX_ID.test(value)) return [{ license: { id: value } }];
  if (SPDX_EXPRESSION.test(value)) return [{ expression: value }];
  return [{ license: { name: value } }];
}

/** The purl of an npm package: `pkg:npm/%40scope/name@version`. */
export function purlOf(name, version) {
  const parts = name.split('/');
  const encoded = parts.map((p) => encodeURIComponent(p)).join('/');
  return `pkg:npm/${encoded}@${encodeURIComponent(version)}`;
}

function component(pkg, where) {
  if (typeof pkg.name !== 'string' || typeof pkg.version !== 'string') throw new Error(`${where}/package.json has no name or version`);
  const scoped = /^(@[^/]+)\/(.+)$/.exec(pkg.name);
  const purl = purlOf(pkg.name, pkg.version);
  return {
    type: 'library',
    'bom-ref': purl,
    ...(scoped ? { group: scoped[1], name: scoped[2] } : { name: pkg.name }),
    version: pkg.version,
    licenses: licensesOf(pkg, where),
    purl,
  };
}

const isNodeBuiltin = (module) => module.startsWith('node:') || builtinModules.includes(module.split('/')[0]);

/**
 * The SBOM of `bundles` ({ file: the bundle's path from root, metafile: esbuild's metafile of it }),
 * built in `root` (the builds' absWorkingDir, where package.json and node_modules are).
 */
export function cycloneDx({ root, bundles, tools = [] }) {
  const rootPkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
  const main = component(rootPkg, '.');
  /** key `name@version` -> { component, bundles: Set, dependsOn: Set } */
  const packages = new Map();
  const byDir = new Map();
  const rootDependsOn = new Set();
  const externals = new Set();

  const packageAt = (dir) => {
    if (!byDir.has(dir)) {
      const pkg = JSON.parse(fs.readFileSync(path.join(root, dir, 'package.json'), 'utf8'));
      const c = component(pkg, dir);
      const key = c['bom-ref'];
      if (!packages.has(key)) packages.set(key, { component: c, bundles: new Set(), dependsOn: new Set() });
      byDir.set(dir, packages.get(key));
    }
    return byDir.get(dir);
  };
  const ownSource = (input) => {
    const resolved = path.resolve(root, input);
    if (path.isAbsolute(input) || !resolved.startsWith(root + path.sep)) {
      throw new Error(`metafile input ${input} is neither under node_modules/ nor this repository's source`);
    }
  };

  for (const { file, metafile } of bundles) {
    const outputs = Object.values(metafile.outputs);
    if (outputs.length !== 1) throw new Error(`${file}: expected one esbuild output, got ${outputs.length}`);
    const [output] = outputs;
    const inside = new Set();
    for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
      if (bytesInOutput === 0) continue;
      inside.add(input);
      const dir = packageDirOf(input);
      if (dir === undefined) ownSource(input);
      else packageAt(dir).bundles.add(file);
    }
    for (const imported of output.imports) {
      if (imported.external && !isNodeBuiltin(imported.path)) externals.add(`${file}: ${imported.path}`);
    }
    // Why each package is in: the imports between inputs that are in the output.
    for (const input of inside) {
      const from = packageDirOf(input);
      for (const imported of metafile.inputs[input]?.imports ?? []) {
        if (imported.external || !inside.has(imported.path)) continue;
        const to = packageDirOf(imported.path);
        if (to === undefined || to === from) continue;
        const target = packageAt(to).component['bom-ref'];
        if (from === undefined) rootDependsOn.add(target);
        else if (packageAt(from).component['bom-ref'] !== target) packageAt(from).dependsOn.add(target);
      }
    }
  }

  const sorted = [...packages.values()].sort((a, b) => (a.component['bom-ref'] < b.component['bom-ref'] ? -1 : 1));
  return {
    $schema: 'http://cyclonedx.org/schema/bom-1.6.schema.json',
    bomFormat: 'CycloneDX',
    specVersion: '1.6',
    version: 1,
    metadata: {
      lifecycles: [{ phase: 'build' }],
      tools: { components: tools.map((t) => ({ type: 'application', ...t })) },
      component: {
        ...main,
        properties: [...externals].sort().map((value) => ({ name: EXTERNAL_PROPERTY, value })),
      },
    },
    components: sorted.map((p) => ({
      ...p.component,
      properties: [...p.bundles].sort().map((value) => ({ name: BUNDLE_PROPERTY, value })),
    })),
    dependencies: [
      { ref: main['bom-ref'], dependsOn: [...rootDependsOn].sort() },
      ...sorted.map((p) => ({ ref: p.component['bom-ref'], dependsOn: [...p.dependsOn].sort() })),
    ],
  };
}

/** The SBOM file's text: 2-space JSON and a final newline. */
export function serialize(sbom) {
  return `${JSON.stringify(sbom, null, 2)}\n`;
}
