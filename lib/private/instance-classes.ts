/**
 * Nominal memory (GiB) of RDS instance classes, by family pattern and size: what RDS's default
 * max_connections, LEAST(DBInstanceClassMemory/9531392, 5000), is computed from.
 * @see https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/CHAP_Limits.html#RDS_Limits.MaxConnections
 */
const SIZES: Record<string, number> = {
  'large': 1, 'xlarge': 2, '2xlarge': 4, '4xlarge': 8, '8xlarge': 16, '12xlarge': 24, '16xlarge': 32, '24xlarge': 48, '32xlarge': 64,
};
const BURSTABLE: Record<string, number> = { micro: 1, small: 2, medium: 4, large: 8, xlarge: 16, '2xlarge': 32 };

/** GiB per "large" of each family (memory doubles with each size step). */
const FAMILY_LARGE_GIB: Array<[RegExp, number]> = [
  [/^m[5-8][a-z]*$/, 8], // general purpose: 4 GiB per vCPU
  [/^r[5-8][a-z]*$/, 16], // memory optimized: 8 GiB per vCPU
  [/^x2[a-z]*$/, 32], // x2g/x2iedn: 16 GiB per vCPU
];

/** The nominal memory of `instanceClass` ('db.m7g.large' or 'm7g.large') in bytes, or undefined when unknown. */
export function instanceMemoryBytes(instanceClass: string): number | undefined {
  const [family, size] = instanceClass.replace(/^db\./, '').split('.');
  if (!family || !size) return undefined;
  let gib: number | undefined;
  if (/^t[3-4][a-z]*$/.test(family)) gib = BURSTABLE[size];
  else {
    const perLarge = FAMILY_LARGE_GIB.find(([re]) => re.test(family))?.[1];
    gib = perLarge !== undefined && SIZES[size] !== undefined ? perLarge * SIZES[size] : undefined;
  }
  return gib === undefined ? undefined : gib * 1024 ** 3;
}

/** RDS for PostgreSQL's default max_connections for a class: LEAST(memory / 9531392, 5000). */
export function defaultMaxConnections(instanceClass: string): number | undefined {
  const bytes = instanceMemoryBytes(instanceClass);
  return bytes === undefined ? undefined : Math.min(Math.floor(bytes / 9531392), 5000);
}
