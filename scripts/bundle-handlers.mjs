#!/usr/bin/env node
/**
 * Bundles every Lambda handler, lambda/<name>/index.ts, with esbuild into assets/<name>/index.js
 * (handler `index.handler`), and writes the SBOM of what the bundles hold, sbom.cdx.json
 * (scripts/sbom.mjs, from esbuild's metafiles). The bundles and the SBOM are committed, so
 * `cdk synth` needs no bundler; after changing a handler or a dependency it bundles (or the
 * package's version), run `npm run bundle` and commit the result.
 *
 *   node scripts/bundle-handlers.mjs           write assets/<name>/index.js and sbom.cdx.json
 *   node scripts/bundle-handlers.mjs --check   rebuild in memory, compare with the committed
 *                                              assets and SBOM, exit 1 naming each one that
 *                                              differs (or is missing, or has no handler any more)
 *
 * The AWS SDK v3 is left to the Lambda runtime: nodejs24.x ships every v3 client, and the ones
 * the handlers call (client-backup's DescribeRestoreJob and PutRestoreValidationResult,
 * client-rds, client-secrets-manager) predate that runtime. AWS's restore-testing guide says
 * PutRestoreValidationResult "is not available through the Lambda SDK": that was true of the
 * runtimes of 2023 (the operation came to @aws-sdk/client-backup between 3.421 and 3.523; the
 * nodejs24.x runtime came out in November 2025 with a newer SDK). README's "Verified against"
 * lists this as an assumption: only a deployed function can prove it.
 */
import * as esbuild from 'esbuild';
import { Buffer } from 'node:buffer';
import * as fs from 'node:fs';
import * as path from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';
import { cycloneDx, SBOM_FILE, serialize } from './sbom.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SOURCES = path.join(ROOT, 'lambda');
const ASSETS = path.join(ROOT, 'assets');

/** Handler sources import @aws-sdk/* from the runtime. */
const sdkFromRuntime = {
  name: 'aws-sdk-from-runtime',
  setup(build) {
    build.onResolve({ filter: /^@aws-sdk\// }, (args) => ({ path: args.path, external: true }));
  },
};

/** The handler names: directories of lambda/ that hold an index.ts. */
function handlerNames() {
  if (!fs.existsSync(SOURCES)) return [];
  return fs.readdirSync(SOURCES, { withFileTypes: true })
    .filter((d) => d.isDirectory() && fs.existsSync(path.join(SOURCES, d.name, 'index.ts')))
    .map((d) => d.name)
    .sort();
}

/**
 * The operator CLI, cli/bin.ts, bundled with everything it imports (the AWS SDK included: an
 * operator's machine has none) into assets/cli/db-playbook.js, the package's `bin`. It runs on
 * the Node.js versions package.json's `engines` allows, so it targets the oldest; the handlers
 * target the Lambda runtime's.
 */
const CLI = { name: 'cli', entry: path.join('cli', 'bin.ts'), outfile: path.join('assets', 'cli', 'db-playbook.js'), target: 'node20' };
const HANDLER_TARGET = 'node24';

/** Bundles one handler (or the CLI, name 'cli'); resolves to its bytes and esbuild's metafile. */
async function bundle(name) {
  const cli = name === CLI.name;
  const result = await esbuild.build({
    absWorkingDir: ROOT,
    entryPoints: [cli ? CLI.entry : path.join('lambda', name, 'index.ts')],
    outfile: cli ? CLI.outfile : path.join('assets', name, 'index.js'),
    bundle: true,
    write: false,
    platform: 'node',
    target: cli ? CLI.target : HANDLER_TARGET,
    format: 'cjs',
    minify: true,
    legalComments: 'none',
    sourcemap: false,
    // The bundle must not change when a tsconfig.json (root or lambda/) changes: esbuild would
    // otherwise read the nearest one; only this option affects its output.
    tsconfigRaw: { compilerOptions: { useDefineForClassFields: true } },
    // pg's optional native binding, loaded only by `require('pg').native`: never used here.
    external: ['pg-native'],
    plugins: cli ? [] : [sdkFromRuntime],
    // What went into the bundle, for the SBOM; it does not change the output.
    metafile: true,
    logLevel: 'warning',
  });
  if (result.outputFiles.length !== 1) throw new Error(`esbuild produced ${result.outputFiles.length} files for ${name}, expected 1`);
  return { bytes: Buffer.from(result.outputFiles[0].contents), metafile: result.metafile };
}

/**
 * Files the CLI bundle loads from beside itself: libpg-query (inspect's SQL parser) compiles its
 * WebAssembly module from `libpg-query.wasm` in the bundle's directory (its emscripten loader
 * looks next to the script that runs it), so the file is copied there as it is published.
 */
const CLI_SIDE_FILES = [{ from: path.join('node_modules', 'libpg-query', 'wasm', 'libpg-query.wasm'), to: path.join('assets', 'cli', 'libpg-query.wasm') }];

function assetFile(name) {
  return name === CLI.name ? path.join(ROOT, CLI.outfile) : path.join(ASSETS, name, 'index.js');
}

/** Asset directories without a handler source any more. */
function staleAssets(names) {
  if (!fs.existsSync(ASSETS)) return [];
  return fs.readdirSync(ASSETS, { withFileTypes: true })
    .filter((d) => d.isDirectory() && !names.includes(d.name) && d.name !== CLI.name)
    .map((d) => d.name)
    .sort();
}

async function main() {
  const check = process.argv.includes('--check');
  const unknown = process.argv.slice(2).filter((a) => a !== '--check');
  if (unknown.length > 0) {
    process.stderr.write(`usage: node scripts/bundle-handlers.mjs [--check] (unknown: ${unknown.join(' ')})\n`);
    return 2;
  }
  const names = [...handlerNames(), CLI.name];
  const stale = staleAssets(names);
  const problems = [];
  const metafiles = [];
  for (const name of names) {
    const { bytes: built, metafile } = await bundle(name);
    const file = assetFile(name);
    const relative = path.relative(ROOT, file);
    metafiles.push({ file: relative, metafile });
    if (check) {
      if (!fs.existsSync(file)) problems.push(`${relative} is missing`);
      else if (!fs.readFileSync(file).equals(built)) problems.push(`${relative} differs from a fresh bundle of lambda/${name}/index.ts`);
    } else {
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, built, { mode: name === CLI.name ? 0o755 : 0o644 });
      process.stdout.write(`${relative} (${(built.length / 1024).toFixed(0)} KiB)\n`);
    }
  }
  for (const side of CLI_SIDE_FILES) {
    const built = fs.readFileSync(path.join(ROOT, side.from));
    const file = path.join(ROOT, side.to);
    if (check) {
      if (!fs.existsSync(file)) problems.push(`${side.to} is missing`);
      else if (!fs.readFileSync(file).equals(built)) problems.push(`${side.to} differs from ${side.from}`);
    } else {
      fs.writeFileSync(file, built, { mode: 0o644 });
      process.stdout.write(`${side.to} (${(built.length / 1024).toFixed(0)} KiB, from ${side.from})\n`);
    }
  }
  const sbom = Buffer.from(serialize(cycloneDx({ root: ROOT, bundles: metafiles, tools: [{ name: 'esbuild', version: esbuild.version }] })));
  const sbomFile = path.join(ROOT, SBOM_FILE);
  if (check) {
    if (!fs.existsSync(sbomFile)) problems.push(`${SBOM_FILE} is missing`);
    else if (!fs.readFileSync(sbomFile).equals(sbom)) problems.push(`${SBOM_FILE} differs from the SBOM of fresh bundles`);
  } else {
    fs.writeFileSync(sbomFile, sbom);
    process.stdout.write(`${SBOM_FILE} (${metafiles.length} bundles)\n`);
  }
  for (const name of stale) problems.push(`assets/${name}/ has no handler source (lambda/${name}/index.ts): delete it`);
  if (problems.length > 0) {
    const hint = check ? `\nrun \`npm run bundle\` and commit assets/ and ${SBOM_FILE}` : '';
    process.stderr.write(`${problems.join('\n')}${hint}\n`);
    return check ? 1 : 0;
  }
  if (check) process.stdout.write(`bundles up to date: ${names.map((n) => path.relative(ROOT, assetFile(n))).join(', ')}; ${SBOM_FILE} up to date\n`);
  return 0;
}

main().then((code) => { process.exitCode = code; }, (e) => {
  process.stderr.write(`${e?.stack ?? e}\n`);
  process.exitCode = 1;
});
