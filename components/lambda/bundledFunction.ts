import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { document, logsStatement, serviceTrustPolicy, type PolicyStatement } from "../iam/policies";
import { bundleHandler, type HandlerSpec } from "./bundle";

export interface BundledFunctionArgs {
  /** The handler to bundle with esbuild (the factory and the arguments it is called with). */
  handler: HandlerSpec;
  /** Shown in the Lambda console. */
  description?: pulumi.Input<string>;
  /** Environment variables of the function. */
  environment?: pulumi.Input<Record<string, pulumi.Input<string>>>;
  /**
   * What the function may do besides writing its own logs: its role gets exactly these statements
   * (named actions on named resources).
   */
  policyStatements?: pulumi.Input<pulumi.Input<PolicyStatement>[]>;
  /**
   * For what must name the function's own role and be known to the function (a role trusting
   * only this one, say): called with the role before the policy and the function are made; the
   * environment and statements it gives are added to the others.
   */
  withRole?: (role: aws.iam.Role) => {
    environment?: pulumi.Input<Record<string, pulumi.Input<string>>>;
    policyStatements?: pulumi.Input<pulumi.Input<PolicyStatement>[]>;
  };
  /**
   * Seconds before Lambda stops an invocation.
   * @default 10
   */
  timeoutSeconds?: number;
  /**
   * Memory in MB (CPU grows with it).
   * @default 256
   */
  memorySize?: number;
  /**
   * Days CloudWatch keeps the function's logs.
   * @default 30
   */
  logRetentionInDays?: number;
  /**
   * Instruction set. `arm64` (Graviton) costs about 20% less per GB-second.
   * @default "arm64"
   */
  architecture?: "arm64" | "x86_64";
}

/**
 * A Lambda function built from one of this project's handlers: an esbuild bundle, its own role
 * with exactly the statements given, and its own log group with a retention.
 */
export class BundledFunction extends pulumi.ComponentResource {
  public readonly function: aws.lambda.Function;
  public readonly role: aws.iam.Role;
  public readonly logGroup: aws.cloudwatch.LogGroup;
  public readonly arn: pulumi.Output<string>;
  public readonly functionName: pulumi.Output<string>;
  /** The URI API Gateway integrations call. */
  public readonly invokeArn: pulumi.Output<string>;

  constructor(name: string, args: BundledFunctionArgs, opts?: pulumi.ComponentResourceOptions) {
    super("async-api:index:BundledFunction", name, {}, opts);

    this.logGroup = new aws.cloudwatch.LogGroup(`${name}-logs`, { retentionInDays: args.logRetentionInDays ?? 30 }, { parent: this });
    this.role = new aws.iam.Role(
      `${name}-role`,
      { assumeRolePolicy: JSON.stringify(serviceTrustPolicy("lambda.amazonaws.com")), description: `Runs ${name}` },
      { parent: this },
    );
    const extra = args.withRole?.(this.role) ?? {};
    const policy = new aws.iam.RolePolicy(
      `${name}-policy`,
      {
        role: this.role.id,
        policy: pulumi
          .all([this.logGroup.arn, pulumi.output(args.policyStatements ?? []), pulumi.output(extra.policyStatements ?? [])])
          .apply(([logGroupArn, statements, more]) =>
            JSON.stringify(document(logsStatement(logGroupArn), ...(statements as PolicyStatement[]), ...(more as PolicyStatement[]))),
          ),
      },
      { parent: this },
    );
    const environment =
      args.environment && extra.environment
        ? pulumi.all([args.environment, extra.environment]).apply(([a, b]) => ({ ...a, ...b }))
        : (args.environment ?? extra.environment);

    const code = bundleHandler(args.handler);
    this.function = new aws.lambda.Function(
      `${name}-function`,
      {
        description: args.description,
        runtime: aws.lambda.Runtime.NodeJS22dX,
        architectures: [args.architecture ?? "arm64"],
        handler: "index.handler",
        code: new pulumi.asset.AssetArchive({ "index.js": new pulumi.asset.StringAsset(code) }),
        role: this.role.arn,
        timeout: args.timeoutSeconds ?? 10,
        memorySize: args.memorySize ?? 256,
        environment: environment ? { variables: environment } : undefined,
        loggingConfig: { logFormat: "JSON", logGroup: this.logGroup.name },
      },
      // The role's policy must exist before the first invocation can use it.
      { parent: this, dependsOn: [policy] },
    );

    this.arn = this.function.arn;
    this.functionName = this.function.name;
    this.invokeArn = this.function.invokeArn;
    this.registerOutputs({ arn: this.arn, functionName: this.functionName, invokeArn: this.invokeArn });
  }
}
