/**
 * The local cloud's Pulumi resource monitor: the program runs against Pulumi's mocks interface,
 * and each resource it declares is materialised on its emulator by the materialiser of its type
 * (materialisers/, one file per service). Function calls (`aws.getCallerIdentity`, ...) are
 * answered here.
 */
import * as crypto from "crypto";
import type * as pulumi from "@pulumi/pulumi";
import { LOCAL_ACCOUNT_ID, LOCAL_REGION } from "../aws/types";
import { allMaterialisers, type Materialiser, type MaterialiserContext } from "./materialisers";
import type { LocalServices } from "./services";

export type { LocalServices } from "./services";

/** One resource the program declared, as the local cloud materialised it. */
export interface MaterialisedResource {
  type: string;
  name: string;
  id: string;
  inputs: Record<string, any>;
  state: Record<string, any>;
}

/**
 * A Pulumi resource monitor (the mocks interface) that turns every resource the program declares
 * into its local twin on an emulator, and answers with the state AWS would: names, ARNs, URLs.
 * A type it does not know is an error naming the type: nothing is skipped silently.
 */
export class LocalMonitor implements pulumi.runtime.Mocks {
  readonly resources: MaterialisedResource[] = [];
  readonly errors: Error[] = [];
  private readonly materialisers: Record<string, Materialiser>;

  constructor(
    private readonly services: LocalServices,
    private readonly stack: string,
    /** Where relative paths in the program's inputs (an image's build `context`) start. */
    private readonly projectDir: string = process.cwd(),
  ) {
    this.materialisers = allMaterialisers(this.context());
  }

  /** A stable physical name, like Pulumi's auto-naming (`<name>-<7 chars>`) but the same across restarts. */
  physicalName(name: string, inputs: Record<string, any>, max = 64): string {
    if (typeof inputs.name === "string" && inputs.name) return inputs.name;
    const suffix = crypto.createHash("sha256").update(`${this.stack}/${name}`).digest("hex").slice(0, 7);
    return `${name.slice(0, max - 8)}-${suffix}`;
  }

  private shortId(name: string): string {
    return crypto.createHash("sha256").update(`${this.stack}/${name}/id`).digest("hex").slice(0, 10);
  }

  private context(): MaterialiserContext {
    return {
      services: this.services,
      stack: this.stack,
      projectDir: this.projectDir,
      physicalName: (name, inputs, max) => this.physicalName(name, inputs, max),
      shortId: (name) => this.shortId(name),
      accepted: async (name) => ({ id: `${name}-${this.shortId(name)}`, state: {} }),
    };
  }

  async newResource(args: pulumi.runtime.MockResourceArgs): Promise<{ id: string; state: Record<string, any> }> {
    try {
      const materialise = this.materialisers[args.type] ?? (args.custom === false || args.type.startsWith("async-api:") ? this.component : undefined);
      if (!materialise) throw new Error(`The local cloud does not know resource type ${args.type} (resource "${args.name}"): add it to local/monitor/`);
      const { id, state } = await materialise(args.name, args.inputs);
      const full = { ...args.inputs, ...state };
      this.resources.push({ type: args.type, name: args.name, id, inputs: args.inputs, state: full });
      return { id, state: full };
    } catch (e) {
      const error = e instanceof Error ? e : new Error(String(e));
      this.errors.push(error);
      throw error;
    }
  }

  call(args: pulumi.runtime.MockCallArgs): Record<string, any> {
    switch (args.token) {
      case "aws:index/getCallerIdentity:getCallerIdentity":
        return { accountId: LOCAL_ACCOUNT_ID, arn: `arn:aws:iam::${LOCAL_ACCOUNT_ID}:user/local`, userId: "AIDALOCAL", id: LOCAL_ACCOUNT_ID };
      case "aws:index/getRegion:getRegion":
        return { name: LOCAL_REGION, region: LOCAL_REGION, id: LOCAL_REGION, endpoint: `ec2.${LOCAL_REGION}.amazonaws.com`, description: "local" };
      case "aws:index/getPartition:getPartition":
        return { partition: "aws", dnsSuffix: "amazonaws.com", id: "aws" };
      case "aws:lambda/getFunction:getFunction":
        return this.getFunction(args);
      default: {
        const error = new Error(`The local cloud does not know the function ${args.token}: add it to local/monitor/`);
        this.errors.push(error);
        throw error;
      }
    }
  }

  /** GetFunction of a function the program declared (job.functionArn): by name or ARN. */
  private getFunction(args: pulumi.runtime.MockCallArgs): Record<string, any> {
    const wanted = String(args.inputs.functionName);
    const fn = this.resources.find((r) => r.type === "aws:lambda/function:Function" && (r.id === wanted || r.state.arn === wanted || r.state.qualifiedArn === wanted));
    if (!fn) {
      const error = new Error(`ResourceNotFoundException: Function not found: ${wanted} (the local cloud knows only the functions the program declares)`);
      this.errors.push(error);
      throw error;
    }
    return { ...args.inputs, arn: fn.state.arn, functionName: fn.id, timeout: fn.inputs.timeout ?? 3, memorySize: fn.inputs.memorySize ?? 128, runtime: fn.inputs.runtime, handler: fn.inputs.handler };
  }

  private component: Materialiser = async (name) => ({ id: name, state: {} });
}
