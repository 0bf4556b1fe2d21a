import * as pulumi from "@pulumi/pulumi";

export const ACCOUNT_ID = "123456789012";
export const REGION = "us-east-1";

/** One `newResource` call the mock monitor saw. */
export interface RecordedResource {
  type: string;
  name: string;
  inputs: Record<string, any>;
  id: string;
  state: Record<string, any>;
  /** URN of the parent, when the resource was given one. */
  parent?: string;
  urn: string;
}

/** Every resource registered since the last `resetRecorded()`, in registration order. */
export const recorded: RecordedResource[] = [];

export function resetRecorded(): void {
  recorded.length = 0;
}

const arnPrefix = (service: string) => `arn:aws:${service}:${REGION}:${ACCOUNT_ID}`;

/** What AWS would return besides the inputs: ids, names and ARNs, per resource type. */
function computedState(type: string, name: string, inputs: Record<string, any>): { id: string; state: Record<string, any> } {
  const physical = inputs.name ?? `${name}-${"0123abcd"}`;
  switch (type) {
    case "aws:dynamodb/table:Table":
      return { id: physical, state: { name: physical, arn: `${arnPrefix("dynamodb")}:table/${physical}`, streamArn: inputs.streamEnabled ? `${arnPrefix("dynamodb")}:table/${physical}/stream/2026-01-01T00:00:00.000` : undefined } };
    case "aws:s3/bucketV2:BucketV2":
    case "aws:s3/bucket:Bucket": {
      const bucket = inputs.bucket ?? `${name}-0123abcd`;
      return { id: bucket, state: { bucket, arn: `arn:aws:s3:::${bucket}`, bucketRegionalDomainName: `${bucket}.s3.${REGION}.amazonaws.com` } };
    }
    case "aws:iam/role:Role":
      return { id: physical, state: { name: physical, arn: `arn:aws:iam::${ACCOUNT_ID}:role/${physical}`, uniqueId: "AROAEXAMPLE" } };
    case "aws:lambda/function:Function":
      return {
        id: physical,
        state: {
          name: physical,
          arn: `${arnPrefix("lambda")}:function:${physical}`,
          invokeArn: `arn:aws:apigateway:${REGION}:lambda:path/2015-03-31/functions/${arnPrefix("lambda")}:function:${physical}/invocations`,
          qualifiedArn: `${arnPrefix("lambda")}:function:${physical}:$LATEST`,
        },
      };
    case "aws:sfn/stateMachine:StateMachine":
      return { id: `${arnPrefix("states")}:stateMachine:${physical}`, state: { name: physical, arn: `${arnPrefix("states")}:stateMachine:${physical}` } };
    case "aws:cloudwatch/logGroup:LogGroup":
      return { id: physical, state: { name: physical, arn: `${arnPrefix("logs")}:log-group:${physical}` } };
    case "aws:apigateway/restApi:RestApi":
      return { id: "a1b2c3d4e5", state: { rootResourceId: "r00t1d", executionArn: `${arnPrefix("execute-api")}:a1b2c3d4e5` } };
    case "aws:apigateway/stage:Stage":
      return { id: `ags-a1b2c3d4e5-${inputs.stageName}`, state: { invokeUrl: `https://a1b2c3d4e5.execute-api.${REGION}.amazonaws.com/${inputs.stageName}`, executionArn: `${arnPrefix("execute-api")}:a1b2c3d4e5/${inputs.stageName}` } };
    case "aws:cloudwatch/eventBus:EventBus":
      return { id: physical, state: { name: physical, arn: `${arnPrefix("events")}:event-bus/${physical}` } };
    case "aws:cloudwatch/eventRule:EventRule": {
      const bus = inputs.eventBusName ?? "default";
      return { id: physical, state: { name: physical, arn: `${arnPrefix("events")}:rule/${bus === "default" ? "" : `${bus}/`}${physical}` } };
    }
    case "aws:cloudwatch/eventArchive:EventArchive":
      return { id: physical, state: { name: physical, arn: `${arnPrefix("events")}:archive/${physical}` } };
    case "aws:sqs/queue:Queue":
      return { id: `https://sqs.${REGION}.amazonaws.com/${ACCOUNT_ID}/${physical}`, state: { name: physical, arn: `${arnPrefix("sqs")}:${physical}`, url: `https://sqs.${REGION}.amazonaws.com/${ACCOUNT_ID}/${physical}` } };
    case "aws:secretsmanager/secret:Secret":
      return { id: `${arnPrefix("secretsmanager")}:secret:${physical}-AbCdEf`, state: { name: physical, arn: `${arnPrefix("secretsmanager")}:secret:${physical}-AbCdEf` } };
    case "random:index/randomBytes:RandomBytes":
      return { id: "random-bytes", state: { base64: Buffer.alloc(inputs.length ?? 32, 7).toString("base64"), hex: Buffer.alloc(inputs.length ?? 32, 7).toString("hex") } };
    case "aws:apigateway/apiKey:ApiKey":
      return { id: "k3y1d", state: { value: inputs.value ?? "generated-api-key-value-0123456789" } };
    case "aws:ecs/cluster:Cluster":
      return { id: `${arnPrefix("ecs")}:cluster/${physical}`, state: { name: physical, arn: `${arnPrefix("ecs")}:cluster/${physical}` } };
    case "aws:ecr/repository:Repository":
      return { id: physical, state: { name: physical, arn: `${arnPrefix("ecr")}:repository/${physical}`, repositoryUrl: `${ACCOUNT_ID}.dkr.ecr.${REGION}.amazonaws.com/${physical}` } };
    case "aws:ec2/securityGroup:SecurityGroup":
      return { id: "sg-0123456789abcdef0", state: { arn: `${arnPrefix("ec2")}:security-group/sg-0123456789abcdef0` } };
    // awsx v3 components are remote: one opaque resource each, whose outputs are faked here.
    case "awsx:ec2:DefaultVpc":
      return { id: `${name}-id`, state: { vpcId: "vpc-0123abcd", publicSubnetIds: ["subnet-0aaa", "subnet-0bbb"], privateSubnetIds: [] } };
    case "awsx:ecr:Image":
      return { id: `${name}-id`, state: { imageUri: `${inputs.repositoryUrl}@sha256:${"ab".repeat(32)}` } };
    case "awsx:ecs:FargateTaskDefinition":
      return { id: `${name}-id`, state: {} };
    default:
      return { id: `${name}-id`, state: {} };
  }
}

export const mocks: pulumi.runtime.Mocks = {
  newResource(args: pulumi.runtime.MockResourceArgs) {
    const { id, state } = computedState(args.type, args.name, args.inputs);
    const fullState = { ...args.inputs, ...state };
    recorded.push({
      type: args.type,
      name: args.name,
      inputs: args.inputs,
      id,
      state: fullState,
      parent: (args as any).parent,
      urn: (args as any).urn ?? `urn:pulumi:test::async-api::${args.type}::${args.name}`,
    });
    return { id, state: fullState };
  },
  call(args: pulumi.runtime.MockCallArgs) {
    switch (args.token) {
      case "aws:index/getCallerIdentity:getCallerIdentity":
        return { accountId: ACCOUNT_ID, arn: `arn:aws:iam::${ACCOUNT_ID}:user/test`, userId: "AIDAEXAMPLE", id: ACCOUNT_ID };
      case "aws:index/getRegion:getRegion":
        return { name: REGION, region: REGION, id: REGION, endpoint: `ec2.${REGION}.amazonaws.com`, description: "US East (N. Virginia)" };
      case "aws:index/getPartition:getPartition":
        return { partition: "aws", dnsSuffix: "amazonaws.com", id: "aws" };
      case "aws:lambda/getFunction:getFunction": {
        // A function the program declared: its own timeout (Lambda's default 3 s otherwise).
        const name = String(args.inputs.functionName);
        const declared = recorded.find((r) => r.type === "aws:lambda/function:Function" && (r.state?.arn === name || r.state?.name === name || r.id === name));
        return { ...args.inputs, arn: name, timeout: declared?.inputs.timeout ?? 3 };
      }
      default:
        return args.inputs;
    }
  },
};

/** Resolves an Output (or plain value) under mocks. */
export function valueOf<T>(output: pulumi.Input<T> | undefined): Promise<T> {
  return new Promise((resolve) => pulumi.output(output as pulumi.Input<T>).apply((v) => resolve(v as T)));
}
