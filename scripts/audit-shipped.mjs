#!/usr/bin/env node
/**
 * Audits what the package ships against npm's advisories: fails on a high or critical advisory
 * of a package bundled into assets/ (listed in sbom.cdx.json) or of a dependency a consumer
 * installs (a lockfile package not marked dev). Run by .ci/run, not by `npm test`: it asks the
 * registry, and its answer changes when an advisory is published, whatever the commit.
 *
 *   node scripts/audit-shipped.mjs                  run `npm audit --json` on the lockfile
 *   node scripts/audit-shipped.mjs --report FILE    judge a saved `npm audit --json` report
 *   node scripts/audit-shipped.mjs --strict         also fail when no report could be had
 *   node scripts/audit-shipped.mjs --lockfile FILE  judge against another package-lock.json (tests)
 *
 * Why not `npm audit --audit-level=high --omit=dev`: every package bundled here is a
 * devDependency (it is bundled at build time, not installed by consumers), so --omit=dev audits
 * none of them; a plain `npm audit --audit-level=high` would fail on advisories of the test and
 * build tools as well. This audits the whole lockfile once and judges each advisory by where the
 * affected copy (its node_modules path) goes: bundled or a consumer's dependency fails, dev-only
 * is listed. An advisory is matched on the affected copy's version, as the SBOM records it.
 *
 * When npm cannot get advisories (the registry is unreachable, or refuses the bulk advisory
 * request), nothing was audited: that is said on stderr, and exits 1 with --strict only.
 *
 * Exit: 0 no shipped package with a high or critical advisory (or not audited, without --strict);
 * 1 there is one (or not audited, with --strict); 2 bad arguments.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';
import { SBOM_FILE } from './sbom.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const FAILING = new Set(['high', 'critical']);
const BUNDLE_PROPERTY = 'cdk-db-playbook:bundle';

function args(argv) {
  const options = { strict: false, report: undefined, lockfile: path.join(ROOT, 'package-lock.json') };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--strict') options.strict = true;
    else if (argv[i] === '--report' && i + 1 < argv.length) options.report = argv[++i];
    else if (argv[i] === '--lockfile' && i + 1 < argv.length) options.lockfile = argv[++i];
    else return undefined;
  }
  return options;
}

/** `name@version` -> the bundles holding it, from the SBOM. */
function bundledPackages(sbom) {
  const bundled = new Map();
  for (const c of sbom.components ?? []) {
    const name = c.group ? `${c.group}/${c.name}` : c.name;
    bundled.set(`${name}@${c.version}`, (c.properties ?? []).filter((p) => p.name === BUNDLE_PROPERTY).map((p) => p.value));
  }
  return bundled;
}

/** Runs `npm audit --json`: the parsed report, or why there is none. */
function npmAudit() {
  const run = spawnSync('npm', ['audit', '--json'], { cwd: ROOT, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, timeout: 300_000 });
  if (run.error) return { reason: `npm audit did not run: ${run.error.message}` };
  try {
    return { report: JSON.parse(run.stdout) };
  } catch {
    return { reason: `npm audit exited ${run.status} without a JSON report: ${run.stderr.trim().split('\n').pop() ?? ''}` };
  }
}

/**
 * The verdict on an `npm audit --json` report (version 2): `failures` (high or critical on a
 * shipped copy) and `notes` (the rest worth a look), or `unavailable` when it holds no audit.
 */
function judge(report, bundled, lockPackages) {
  if (!report || typeof report !== 'object' || typeof report.vulnerabilities !== 'object' || report.vulnerabilities === null) {
    const reason = report?.message || report?.error?.summary || report?.error?.detail || 'the report has no vulnerabilities section';
    return { unavailable: reason };
  }
  const failures = [];
  const notes = [];
  for (const entry of Object.values(report.vulnerabilities)) {
    const advisories = (entry.via ?? []).filter((v) => v && typeof v === 'object');
    if (advisories.length === 0) continue; // only through a dependency: that package has its own entry
    const shipped = [];
    for (const node of entry.nodes ?? []) {
      const version = lockPackages[node]?.version;
      const bundles = bundled.get(`${entry.name}@${version}`);
      if (bundles) shipped.push(`${entry.name}@${version} bundled in ${bundles.join(', ')}`);
      else if (lockPackages[node] && !lockPackages[node].dev && !lockPackages[node].devOptional) shipped.push(`${entry.name}@${version} a dependency (${node})`);
    }
    for (const a of advisories) {
      const line = `${a.severity}: ${a.title} (${a.url}; ${a.range ?? 'range not given'})`;
      if (FAILING.has(a.severity) && shipped.length > 0) failures.push(`${line}: ${[...new Set(shipped)].join('; ')}`);
      else if (shipped.length > 0) notes.push(`${line}: ${[...new Set(shipped)].join('; ')}`);
      else if (FAILING.has(a.severity)) notes.push(`${line}: ${entry.name}, dev only (${(entry.nodes ?? []).join(', ')})`);
    }
  }
  return { failures, notes };
}

function main() {
  const options = args(process.argv.slice(2));
  if (!options) {
    process.stderr.write('usage: node scripts/audit-shipped.mjs [--strict] [--report FILE] [--lockfile FILE]\n');
    return 2;
  }
  const sbom = JSON.parse(fs.readFileSync(path.join(ROOT, SBOM_FILE), 'utf8'));
  const lock = JSON.parse(fs.readFileSync(options.lockfile, 'utf8'));
  const bundled = bundledPackages(sbom);
  let report;
  let reason;
  if (options.report) report = JSON.parse(fs.readFileSync(options.report, 'utf8'));
  else ({ report, reason } = npmAudit());
  const verdict = reason ? { unavailable: reason } : judge(report, bundled, lock.packages ?? {});
  if (verdict.unavailable) {
    process.stderr.write(`audit-shipped: NOT AUDITED: npm could not get advisories (${verdict.unavailable}); `
      + (options.strict ? 'failing (--strict)\n' : 'not failing without --strict\n'));
    return options.strict ? 1 : 0;
  }
  for (const note of verdict.notes) process.stdout.write(`audit-shipped: not failing: ${note}\n`);
  const scope = `the ${bundled.size} bundled packages of ${SBOM_FILE} and the package's dependencies`;
  if (verdict.failures.length > 0) {
    process.stderr.write(`${verdict.failures.map((f) => `audit-shipped: ${f}`).join('\n')}\n`
      + `audit-shipped: ${verdict.failures.length} high or critical advisories in ${scope}: update the package (npm update NAME), then \`npm run bundle\`\n`);
    return 1;
  }
  process.stdout.write(`audit-shipped: no high or critical advisory in ${scope}\n`);
  return 0;
}

process.exitCode = main();
