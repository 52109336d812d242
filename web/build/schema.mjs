// Generates the editor's JSON schema for Kubernetes manifests from the API definitions the server
// serves (crates/apidefs/definitions.json), so the editor checks exactly what the
// simulated API server accepts.
//
//   node web/build/schema.mjs <definitions.json> <out.json>
//
// The result validates any served kind: `apiVersion` and `kind` must name a served pair, and the
// rest of the document is checked against that kind's definition. Objects reject unknown fields
// (as the server's strict field validation does), so a typo is underlined where it is made.
import { readFileSync, writeFileSync } from 'node:fs';

const [input, output] = process.argv.slice(2);
if (!input || !output) {
  console.error('usage: node web/build/schema.mjs <definitions.json> <out.json>');
  process.exit(2);
}
const { definitions, kubernetesVersion } = JSON.parse(readFileSync(input, 'utf8'));

// Unknown fields are errors wherever the definition lists its properties.
function closeObjects(schema) {
  if (Array.isArray(schema)) return schema.forEach(closeObjects);
  if (!schema || typeof schema !== 'object') return;
  if (schema.properties && schema.additionalProperties === undefined) {
    schema.additionalProperties = false;
  }
  Object.values(schema).forEach(closeObjects);
}
closeObjects(definitions);

const kinds = [];
for (const [name, definition] of Object.entries(definitions)) {
  // apimachinery's own types (DeleteOptions, WatchEvent, ...) carry every group's GVK but are
  // not objects a learner writes.
  if (name.startsWith('io.k8s.apimachinery.')) continue;
  for (const gvk of definition['x-kubernetes-group-version-kind'] ?? []) {
    // Only top-level kinds a learner writes (the definition has apiVersion and kind fields).
    if (!definition.properties?.kind || !definition.properties?.apiVersion) continue;
    const apiVersion = gvk.group ? `${gvk.group}/${gvk.version}` : gvk.version;
    kinds.push({ name, kind: gvk.kind, apiVersion });
  }
}
kinds.sort((a, b) => a.kind.localeCompare(b.kind));

const schema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  title: `Kubernetes ${kubernetesVersion ?? ''} object`.replace('  ', ' '),
  type: 'object',
  required: ['apiVersion', 'kind'],
  properties: {
    apiVersion: { type: 'string', enum: [...new Set(kinds.map((k) => k.apiVersion))].sort() },
    kind: { type: 'string', enum: [...new Set(kinds.map((k) => k.kind))] },
  },
  // A kind served in one version is checked by its kind alone, so a wrong apiVersion does not
  // hide the other mistakes; a kind served in several (HorizontalPodAutoscaler) by both.
  allOf: kinds.map(({ name, kind, apiVersion }) => {
    const versions = kinds.filter((k) => k.kind === kind).length;
    const match = versions > 1
      ? { kind: { const: kind }, apiVersion: { const: apiVersion } }
      : { kind: { const: kind } };
    return { if: { properties: match, required: ['kind'] }, then: { $ref: `#/$defs/${name}` } };
  }),
  // definitions.json refers to its entries as `#/$defs/<name>`.
  $defs: definitions,
};
writeFileSync(output, JSON.stringify(schema));
console.error(`editor schema: ${kinds.length} kinds → ${output}`);
