import * as pulumi from "@pulumi/pulumi";
import { recorded, resetRecorded, valueOf, type RecordedResource } from "./mocks";

export interface ProgramRun {
  resources: RecordedResource[];
  outputs: Record<string, unknown>;
  /** Which outputs were secret. */
  secrets: Set<string>;
  /** type -> logical names. */
  byType(type: string): RecordedResource[];
  one(type: string, name: string): RecordedResource;
}

const PROGRAM = require.resolve("../../index");

/** Waits until no new resource has been registered for a few event-loop turns. */
async function settle(): Promise<void> {
  let last = -1;
  let stable = 0;
  while (stable < 5) {
    await new Promise((r) => setTimeout(r, 10));
    if (recorded.length === last) stable++;
    else {
      stable = 0;
      last = recorded.length;
    }
  }
}

/**
 * Runs `index.ts` under the mocks with this stack config (keys without the `async-api:` prefix)
 * and returns what it declared and exported.
 */
export async function runProgram(config: Record<string, string>): Promise<ProgramRun> {
  resetRecorded();
  const all: Record<string, string> = { "aws:region": "us-east-1" };
  for (const [k, v] of Object.entries(config)) all[`async-api:${k}`] = v;
  pulumi.runtime.setAllConfig(all);
  delete require.cache[PROGRAM];
  const mod = require(PROGRAM) as Record<string, unknown>;
  const outputs: Record<string, unknown> = {};
  const secrets = new Set<string>();
  for (const [k, v] of Object.entries(mod)) {
    if (pulumi.Output.isInstance(v)) {
      outputs[k] = await valueOf(v);
      if (await pulumi.isSecret(v)) secrets.add(k);
    } else outputs[k] = v;
  }
  await settle();
  const resources = [...recorded];
  return {
    resources,
    outputs,
    secrets,
    byType: (type) => resources.filter((r) => r.type === type),
    one(type, name) {
      const found = resources.filter((r) => r.type === type && r.name === name);
      if (found.length !== 1) throw new Error(`expected one ${type} named ${name}, found ${found.length}: ${resources.filter((r) => r.type === type).map((r) => r.name).join(", ")}`);
      return found[0];
    },
  };
}
