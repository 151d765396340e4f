// Pulls what the rules and metric-name checks need out of a rendered overlay (multi-document YAML):
//   OUTDIR/rules.yaml    the PrometheusRule's .spec (promtool reads rule groups, not the custom resource)
//   OUTDIR/signals.json  {"hpaPodsMetrics": [...], "kedaQueries": [...], "records": [...], "exprs": [...], "workerEnv": {...}}
// Usage: node extract.mjs RENDERED.yaml OUTDIR
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseAllDocuments, stringify } from "yaml";

const [file, outDir] = process.argv.slice(2);
if (!file || !outDir) {
  console.error("usage: node extract.mjs RENDERED.yaml OUTDIR");
  process.exit(2);
}

const objects = parseAllDocuments(readFileSync(file, "utf8")).map((d) => d.toJS()).filter((o) => o);
const rules = objects.filter((o) => o.kind === "PrometheusRule");
if (rules.length !== 1) {
  console.error(`expected one PrometheusRule, found ${rules.length}`);
  process.exit(1);
}

writeFileSync(join(outDir, "rules.yaml"), stringify(rules[0].spec));
const ruleList = rules[0].spec.groups.flatMap((g) => g.rules);
const signals = {
  hpaPodsMetrics: objects.filter((o) => o.kind === "HorizontalPodAutoscaler")
    .flatMap((o) => o.spec.metrics).filter((m) => m.type === "Pods").map((m) => m.pods.metric.name),
  kedaQueries: objects.filter((o) => o.kind === "ScaledObject")
    .flatMap((o) => o.spec.triggers).filter((t) => t.type === "prometheus").map((t) => t.metadata.query),
  records: ruleList.filter((r) => r.record).map((r) => r.record),
  exprs: ruleList.map((r) => String(r.expr)),
  // The worker container's literal environment (MAX_BATCH_SIZE, ...), to start a real worker the same way.
  workerEnv: Object.fromEntries(objects.filter((o) => o.kind === "Deployment" && o.metadata.name === "lbproxy-worker")
    .flatMap((o) => o.spec.template.spec.containers).filter((c) => c.name === "worker")
    .flatMap((c) => c.env ?? []).filter((e) => e.value !== undefined).map((e) => [e.name, e.value])),
};
writeFileSync(join(outDir, "signals.json"), JSON.stringify(signals, null, 2));
console.log(`rules: ${ruleList.length}, HPA pods metrics: ${signals.hpaPodsMetrics.length}, KEDA queries: ${signals.kedaQueries.length}`);
