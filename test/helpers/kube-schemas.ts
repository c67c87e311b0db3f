/**
 * JSON schemas for kubeconform, made here because its usual registries
 * (yannh/kubernetes-json-schema, the CRDs-catalog) live on GitHub, which the
 * tests cannot reach. Built-in kinds come from the OpenAPI v3 documents of the
 * real test kube-apiserver, so they are exactly the schemas of the pinned
 * Kubernetes release; custom resources come from the CRD files. Both are
 * written as kubeconform's own converter (openapi2jsonschema) writes them:
 * one standalone file per kind, strict (no property the schema does not
 * name), int-or-string and quantities accepted as a string or a number.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { KubeCluster } from '../../harness/kube-cluster';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

const isObject = (value: Json | undefined): value is JsonObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * The JSON-schema meaning of an OpenAPI or CRD schema node, recursively:
 * - an object with `properties` and no `additionalProperties` admits no other
 *   property (what kubectl's client-side validation did, and what the
 *   `-strict` registries encode), unless it preserves unknown fields;
 * - `x-kubernetes-int-or-string` (CRDs) and `format: int-or-string` accept
 *   an integer or a string;
 * - `nullable: true` accepts null, as the apiserver does.
 * `$ref`s to `#/components/schemas/X` become `#/definitions/X`.
 */
function toJsonSchema(node: Json): Json {
  if (Array.isArray(node)) return node.map(toJsonSchema);
  if (!isObject(node)) return node;
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === '$ref' && typeof value === 'string') {
      out[key] = value.replace('#/components/schemas/', '#/definitions/');
    } else if (key === 'properties' && isObject(value)) {
      // Property names are data, not keywords: convert each value only.
      out[key] = Object.fromEntries(
        Object.entries(value).map(([name, schema]) => [name, toJsonSchema(schema)]),
      );
    } else {
      out[key] = toJsonSchema(value);
    }
  }
  const intOrString =
    out['x-kubernetes-int-or-string'] === true || out['format'] === 'int-or-string';
  if (intOrString && out['oneOf'] === undefined && out['anyOf'] === undefined) {
    delete out['type'];
    delete out['format'];
    out['anyOf'] = [{ type: 'integer' }, { type: 'string' }];
  }
  if (out['nullable'] === true && typeof out['type'] === 'string') {
    out['type'] = [out['type'], 'null'];
  }
  if (
    isObject(out['properties']) &&
    out['additionalProperties'] === undefined &&
    out['x-kubernetes-preserve-unknown-fields'] !== true
  ) {
    out['additionalProperties'] = false;
  }
  return out;
}

/** Names of the `#/components/schemas/…` that `node` refers to, directly. */
function refsOf(node: Json, found: Set<string>): Set<string> {
  if (Array.isArray(node)) node.forEach((n) => refsOf(n, found));
  else if (isObject(node)) {
    for (const [key, value] of Object.entries(node)) {
      if (key === '$ref' && typeof value === 'string') {
        found.add(value.replace('#/components/schemas/', ''));
      } else refsOf(value, found);
    }
  }
  return found;
}

/** kubeconform's file-name suffix of an apiVersion: `-v1`, `-apps-v1`, `-networking-v1`. */
export function kindSuffix(group: string, version: string): string {
  return group === '' ? `-${version}` : `-${group.split('.')[0]}-${version}`;
}

interface Gvk {
  readonly group: string;
  readonly version: string;
  readonly kind: string;
}

/**
 * Writes one standalone schema per built-in kind the apiserver serves into
 * `dir`, named `<kind><kindSuffix>.json` (kubeconform's
 * `{{ .ResourceKind }}{{ .KindSuffix }}.json`); returns how many. Each file is
 * the kind's schema with every schema it refers to, transitively, under
 * `definitions`. Call it before installing CRDs, so that only built-in groups
 * are written.
 */
export async function writeBuiltInSchemas(cluster: KubeCluster, dir: string): Promise<number> {
  const index = await cluster.request('GET', '/openapi/v3');
  if (index.status !== 200) throw new Error(`GET /openapi/v3: HTTP ${index.status}`);
  const paths = (index.json as { paths: Record<string, { serverRelativeURL: string }> }).paths;
  const schemas = new Map<string, Json>();
  // One document per group-version; a schema shared by several (ObjectMeta,
  // say) is the same in each.
  const documents = await Promise.all(
    Object.entries(paths)
      .filter(([path]) => /^(api\/v1|apis\/[^/]+\/[^/]+)$/.test(path))
      .map(async ([, { serverRelativeURL }]) => {
        const reply = await cluster.request('GET', serverRelativeURL);
        if (reply.status !== 200) throw new Error(`GET ${serverRelativeURL}: HTTP ${reply.status}`);
        return reply.json as { components?: { schemas?: Record<string, Json> } };
      }),
  );
  for (const document of documents) {
    for (const [name, schema] of Object.entries(document.components?.schemas ?? {})) {
      schemas.set(name, schema);
    }
  }

  mkdirSync(dir, { recursive: true });
  let written = 0;
  for (const [name, schema] of schemas) {
    if (!isObject(schema)) continue;
    const gvks = schema['x-kubernetes-group-version-kind'];
    // Types listed under many group-versions (DeleteOptions, WatchEvent) are
    // request bodies and stream frames, not objects anyone applies.
    if (!Array.isArray(gvks) || gvks.length !== 1) continue;
    // The kind's own schema at the top, and the closure of its references.
    const closure = new Set<string>();
    const pending = [...refsOf(schema, new Set())];
    while (pending.length > 0) {
      const next = pending.pop() as string;
      if (closure.has(next)) continue;
      const target = schemas.get(next);
      if (target === undefined) throw new Error(`${name} refers to ${next}, which no document has`);
      closure.add(next);
      pending.push(...refsOf(target, new Set()));
    }
    const definitions = Object.fromEntries(
      [...closure].sort().map((ref) => [ref, toJsonSchema(schemas.get(ref) as Json)]),
    );
    const standalone = { ...(toJsonSchema(schema) as JsonObject), definitions };
    const gvk = gvks[0] as unknown as Gvk;
    const file = `${gvk.kind.toLowerCase()}${kindSuffix(gvk.group, gvk.version)}.json`;
    writeFileSync(join(dir, file), JSON.stringify(standalone));
    written++;
  }
  return written;
}

interface CrdDocument {
  kind?: string;
  spec?: {
    group: string;
    names: { kind: string };
    versions: { name: string; schema?: { openAPIV3Schema?: Json } }[];
  };
}

/**
 * Writes the schema of every version of every CRD in `files` into `dir` as
 * `<group>/<kind>_<version>.json` (the CRDs-catalog layout kubeconform
 * documents, `{{ .Group }}/{{ .ResourceKind }}_{{ .ResourceAPIVersion }}.json`);
 * returns the paths written. apiVersion, kind and metadata are allowed at the
 * top whether or not the CRD's schema names them, as the apiserver does.
 */
export function writeCrdSchemas(files: readonly string[], dir: string): string[] {
  const written: string[] = [];
  for (const file of files) {
    for (const document of parseAllDocuments(readFileSync(file, 'utf8'))) {
      const crd = document.toJS() as CrdDocument | null;
      if (crd?.kind !== 'CustomResourceDefinition' || crd.spec === undefined) continue;
      for (const version of crd.spec.versions) {
        const schema = version.schema?.openAPIV3Schema;
        if (!isObject(schema ?? null)) continue;
        const root = toJsonSchema(schema as Json) as JsonObject;
        root['properties'] = {
          apiVersion: { type: 'string' },
          kind: { type: 'string' },
          metadata: { type: 'object' },
          ...(isObject(root['properties']) ? root['properties'] : {}),
        };
        root['additionalProperties'] ??= false;
        const path = join(
          dir,
          crd.spec.group,
          `${crd.spec.names.kind.toLowerCase()}_${version.name}.json`,
        );
        mkdirSync(join(dir, crd.spec.group), { recursive: true });
        writeFileSync(path, JSON.stringify(root));
        written.push(path);
      }
    }
  }
  return written;
}

/** kubeconform `-schema-location` templates for the two layouts above. */
export function schemaLocations(builtInDir: string, crdDir: string): string[] {
  return [
    join(crdDir, '{{ .Group }}', '{{ .ResourceKind }}_{{ .ResourceAPIVersion }}.json'),
    join(builtInDir, '{{ .ResourceKind }}{{ .KindSuffix }}.json'),
  ];
}
