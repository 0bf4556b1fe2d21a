/** bench:cost's table: per configuration and job, the billable units per job and $ per million jobs. */
import { costOf, scaleUnits } from "../local/usage/cost";
import type { Units } from "../local/usage/meter";
import { UNIT_PRICES, type UnitKey } from "../local/usage/prices";
import { dollars } from "../local/usage/report";

export interface CostRow {
  configuration: string;
  job: string;
  /** How the row was made when not measured as is (scaled, modelled). */
  how?: string;
  units: Units;
}

const u = (units: Units, key: UnitKey) => units[key] ?? 0;
const fixed = (n: number, digits: number) => (n === 0 ? "–" : Number.isInteger(n) ? String(n) : n.toFixed(digits));

const COLUMNS: { title: string; cell: (units: Units) => string }[] = [
  { title: "API requests", cell: (x) => fixed(u(x, "apigateway.requests"), 1) },
  { title: "Lambda invokes", cell: (x) => fixed(u(x, "lambda.requests"), 1) },
  { title: "Lambda GB-s", cell: (x) => fixed(u(x, "lambda.gbSecondsArm64") + u(x, "lambda.gbSecondsX86"), 2) },
  {
    title: "Step Functions",
    cell: (x) =>
      u(x, "stepfunctions.standardTransitions")
        ? `${fixed(u(x, "stepfunctions.standardTransitions"), 1)} transitions`
        : u(x, "stepfunctions.expressRequests")
          ? `${fixed(u(x, "stepfunctions.expressRequests"), 0)} express, ${fixed(u(x, "stepfunctions.expressGbSeconds"), 2)} GB-s`
          : "–",
  },
  { title: "DynamoDB WRU / RRU", cell: (x) => (u(x, "dynamodb.writeRequestUnits") + u(x, "dynamodb.readRequestUnits") ? `${fixed(u(x, "dynamodb.writeRequestUnits"), 1)} / ${fixed(u(x, "dynamodb.readRequestUnits"), 1)}` : "–") },
  { title: "S3 PUT / GET", cell: (x) => (u(x, "s3.putRequests") + u(x, "s3.getRequests") ? `${fixed(u(x, "s3.putRequests"), 1)} / ${fixed(u(x, "s3.getRequests"), 1)}` : "–") },
  { title: "events", cell: (x) => fixed(u(x, "eventbridge.events"), 1) },
  { title: "SQS requests", cell: (x) => fixed(u(x, "sqs.requests"), 1) },
  { title: "Fargate vCPU-s", cell: (x) => fixed(u(x, "fargate.vcpuSeconds"), 0) },
  { title: "logs KB", cell: (x) => fixed(u(x, "logs.ingestedBytes") / 1024, 1) },
];

/** The dominant line item of a job's cost and its share, e.g. "Lambda GB-s (62%)". */
export function dominant(units: Units): string {
  const cost = costOf(units);
  const top = cost.items[0];
  if (!top) return "–";
  return `${UNIT_PRICES[top.unit].unit} (${Math.round((top.usd / cost.usd) * 100)}%)`;
}

export function perMillion(units: Units): number {
  return costOf(scaleUnits(units, 1e6)).usd;
}

/** A Markdown table, one row per configuration and job. */
export function costTable(rows: CostRow[]): string {
  const head = ["configuration", "job", ...COLUMNS.map((c) => c.title), "$ per 1M jobs", "dominant line item"];
  const lines = [`| ${head.join(" | ")} |`, `|${head.map(() => "---").join("|")}|`];
  for (const row of rows) {
    const job = row.how ? `${row.job} (${row.how})` : row.job;
    lines.push(`| ${[row.configuration, job, ...COLUMNS.map((c) => c.cell(row.units)), dollars(perMillion(row.units)), dominant(row.units)].join(" | ")} |`);
  }
  return lines.join("\n");
}
