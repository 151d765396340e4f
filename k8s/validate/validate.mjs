// Validates every object of a rendered kustomize overlay (multi-document YAML) offline against the
// Kubernetes, KEDA and prometheus-operator schemas of the kubernetes-models packages.
// Usage: node validate.mjs RENDERED.yaml   -> prints "ok Kind/name" per object; exit 1 on any problem.
import { readFileSync } from "node:fs";
import { parseAllDocuments } from "yaml";

// apiVersion group -> the package that holds its models. The core group ("v1") has no prefix.
const packages = [
  ["keda.sh/", "@kubernetes-models/keda"],
  ["monitoring.coreos.com/", "@kubernetes-models/prometheus-operator"],
  ["", "kubernetes-models"],
];

async function modelFor(apiVersion, kind) {
  const [, pkg] = packages.find(([prefix]) => apiVersion.startsWith(prefix));
  let module;
  try {
    module = await import(`${pkg}/${apiVersion}`);
  } catch {
    return null;
  }
  return module[kind] ?? null;
}

const file = process.argv[2];
if (!file) {
  console.error("usage: node validate.mjs RENDERED.yaml");
  process.exit(2);
}

const documents = parseAllDocuments(readFileSync(file, "utf8"));
let failures = 0;
let count = 0;
for (const document of documents) {
  if (document.errors.length > 0) {
    console.error(`FAIL yaml: ${document.errors.map((e) => e.message).join("; ")}`);
    failures++;
    continue;
  }
  const object = document.toJS();
  if (object === null || object === undefined) {
    continue;
  }
  count++;
  const name = `${object.kind}/${object.metadata?.name}`;
  const Model = await modelFor(String(object.apiVersion), String(object.kind));
  if (!Model) {
    console.error(`FAIL ${name}: no schema for apiVersion ${object.apiVersion} kind ${object.kind}`);
    failures++;
    continue;
  }
  try {
    new Model(object).validate();
    console.log(`ok ${name}`);
  } catch (error) {
    const details = error.errors ? JSON.stringify(error.errors) : "";
    console.error(`FAIL ${name}: ${error.message} ${details}`);
    failures++;
  }
}

if (count === 0) {
  console.error(`FAIL ${file}: no objects`);
  failures++;
}
console.log(`${count} object(s), ${failures} problem(s)`);
process.exit(failures === 0 ? 0 : 1);
