// Is my registry open to the world? probeRegistry looks at it the way an attacker would.
// Run: npx tsx examples/probe-registry.ts [registry …]
//
// Registries come from the arguments, else BERTH_EXAMPLE_REGISTRIES (comma-separated), else the
// seed's own 127.0.0.1:5000. BERTH_EXAMPLE_REGISTRY_USER / _PASSWORD are checked when given;
// BERTH_EXAMPLE_REGISTRY_CA names a PEM file to trust (a self-signed registry).
import { readFileSync } from 'node:fs';
import { findingsAtLeast, probeRegistry, type ProbeRegistryOptions } from '@berth/probes';

const registries = process.argv.slice(2).length
  ? process.argv.slice(2)
  : (process.env.BERTH_EXAMPLE_REGISTRIES ?? '127.0.0.1:5000').split(',').filter(Boolean);
const user = process.env.BERTH_EXAMPLE_REGISTRY_USER;
const password = process.env.BERTH_EXAMPLE_REGISTRY_PASSWORD;
const caFile = process.env.BERTH_EXAMPLE_REGISTRY_CA;
const options: ProbeRegistryOptions = {
  ...(user && password && { credentials: { username: user, password } }),
  ...(caFile && { ca: readFileSync(caFile) }),
};

let exitCode = 0;
for (const registry of registries) {
  const report = await probeRegistry(registry, options);
  if (report.isErr()) {
    console.error(`${registry}: ${report.error.message}`);
    exitCode = 1;
    continue;
  }
  const { facts, findings } = report.value;
  console.log(`\n${registry}`);
  if (facts.reachable) {
    console.log(
      `  ${facts.url}  TLS ${facts.tls}  GET /v2/ → ${facts.apiStatus}  auth ${facts.auth.type}` +
        `  api-version ${facts.apiVersionHeader ?? '(missing)'}`,
    );
    console.log(
      `  anonymous: catalog ${facts.catalog.access}, push ${facts.push.access}` +
        `${facts.push.cleanup ? ` (upload ${facts.push.cleanup})` : ''}; credentials ${facts.credentials}`,
    );
  }
  if (findings.length === 0) console.log('  no findings');
  for (const finding of findingsAtLeast(findings, 'info')) {
    console.log(`  ${finding.severity.padEnd(8)} ${finding.id}: ${finding.message}`);
    if (finding.fix) console.log(`           fix: ${finding.fix}`);
  }
}
process.exit(exitCode);
