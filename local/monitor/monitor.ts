import * as crypto from "crypto";
import * as path from "path";
import type * as pulumi from "@pulumi/pulumi";
import {
  LOCAL_ACCOUNT_ID,
  LOCAL_REGION,
  type ApiGatewayService,
  type DynamoDbItem,
  type DynamoDbService,
  type EventBridgeService,
  type LambdaService,
  type S3Service,
  type SqsService,
  type StepFunctionsService,
} from "../aws/types";
import type { LocalEcsService } from "../aws/ecs";
import type { LocalStsService } from "../aws/sts";
import type { LocalSecretsManagerService } from "../aws/secretsmanager";
import type { LocalS3Service } from "../aws/s3";
import { lifecycleRulesOfPulumi } from "../aws/s3/lifecycle";

export interface LocalServices {
  /** ECS (worker fargate): tasks run their image's build context as local processes. */
  ecs?: LocalEcsService;
  dynamodb: DynamoDbService;
  s3: S3Service;
  lambda: LambdaService;
  stepfunctions: StepFunctionsService;
  apigateway: ApiGatewayService;
  eventbridge: EventBridgeService;
  sqs: SqsService;
  /** STS: the roles the program declares can be assumed (AssumeRole). */
  sts?: LocalStsService;
  /** Secrets Manager: the secrets the program declares (GetSecretValue). */
  secretsmanager?: LocalSecretsManagerService;
}

/** One resource the program declared, as the local cloud materialised it. */
export interface MaterialisedResource {
  type: string;
  name: string;
  id: string;
  inputs: Record<string, any>;
  state: Record<string, any>;
}

type Materialiser = (name: string, inputs: Record<string, any>) => Promise<{ id: string; state: Record<string, any> }>;

const arn = (service: string, resource: string) => `arn:aws:${service}:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:${resource}`;

/** Reads the bundle text out of a Lambda's `code` (an AssetArchive with `index.js`). */
async function bundleText(code: any, functionName: string): Promise<{ file: string; text: string }> {
  const assets = code && (await code.assets);
  if (!assets) throw new Error(`function ${functionName}: the local cloud runs functions whose code is an AssetArchive of StringAssets`);
  for (const [file, asset] of Object.entries<any>(assets)) {
    const text = asset && (await asset.text);
    if (typeof text === "string") return { file, text };
  }
  throw new Error(`function ${functionName}: no StringAsset in its code archive`);
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
    this.materialisers = this.buildMaterialisers();
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
      case "aws:lambda/getFunction:getFunction": {
        // GetFunction of a function the program declared (job.functionArn): by name or ARN.
        const wanted = String(args.inputs.functionName);
        const fn = this.resources.find((r) => r.type === "aws:lambda/function:Function" && (r.id === wanted || r.state.arn === wanted || r.state.qualifiedArn === wanted));
        if (!fn) {
          const error = new Error(`ResourceNotFoundException: Function not found: ${wanted} (the local cloud knows only the functions the program declares)`);
          this.errors.push(error);
          throw error;
        }
        return { ...args.inputs, arn: fn.state.arn, functionName: fn.id, timeout: fn.inputs.timeout ?? 3, memorySize: fn.inputs.memorySize ?? 128, runtime: fn.inputs.runtime, handler: fn.inputs.handler };
      }
      default: {
        const error = new Error(`The local cloud does not know the function ${args.token}: add it to local/monitor/`);
        this.errors.push(error);
        throw error;
      }
    }
  }

  private component: Materialiser = async (name) => ({ id: name, state: {} });

  private ecs(resource: string): LocalEcsService {
    if (!this.services.ecs) throw new Error(`${resource}: the local cloud has no ECS service`);
    return this.services.ecs;
  }

  private secretsManager(resource: string): LocalSecretsManagerService {
    if (!this.services.secretsmanager) throw new Error(`${resource}: the local cloud has no Secrets Manager service`);
    return this.services.secretsmanager;
  }

  private buildMaterialisers(): Record<string, Materialiser> {
    const s = this.services;
    const accepted: Materialiser = async (name) => ({ id: `${name}-${this.shortId(name)}`, state: {} });
    return {
      "pulumi:providers:aws": async (name) => ({ id: `${name}-provider`, state: {} }),
      "pulumi:providers:random": async (name) => ({ id: `${name}-provider`, state: {} }),
      // Random bytes that stay the same for a stack and resource across restarts (as they stay in
      // a Pulumi stack's state), from a hash: the local cloud keeps no state of its own for them.
      "random:index/randomBytes:RandomBytes": async (name, inputs) => {
        const length = Number(inputs.length);
        if (!Number.isInteger(length) || length < 1) throw new Error(`random bytes ${name}: length must be a positive integer`);
        const chunks: Buffer[] = [];
        for (let i = 0; Buffer.concat(chunks).length < length; i++) chunks.push(crypto.createHash("sha256").update(`${this.stack}/${name}/random/${i}`).digest());
        const bytes = Buffer.concat(chunks).subarray(0, length);
        return { id: `${name}-${this.shortId(name)}`, state: { base64: bytes.toString("base64"), hex: bytes.toString("hex"), length } };
      },
      "aws:secretsmanager/secret:Secret": async (name, inputs) => {
        const secrets = this.secretsManager(name);
        const secret = this.physicalName(name, inputs, 256);
        const secretArn = secrets.createSecret(secret);
        return { id: secretArn, state: { name: secret, arn: secretArn } };
      },
      "aws:secretsmanager/secretVersion:SecretVersion": async (name, inputs) => {
        // A secret input reaches the mocks wrapped: {"4dabf18193072939515e22adb298388d": <sig>, value}.
        const value = typeof inputs.secretString === "object" && inputs.secretString !== null ? inputs.secretString.value : inputs.secretString;
        if (typeof value !== "string") throw new Error(`secret version ${name}: the local Secrets Manager keeps string values (secretString) only`);
        this.secretsManager(name).putSecretValue(inputs.secretId, value);
        return { id: `${inputs.secretId}|local`, state: { arn: inputs.secretId, versionId: "local" } };
      },
      "aws:s3/bucketNotification:BucketNotification": async (name, inputs) => {
        for (const unsupported of ["lambdaFunctions", "queues", "topics"]) {
          if (inputs[unsupported]?.length) throw new Error(`bucket notification ${name}: the local S3 notifies EventBridge only, not ${unsupported}`);
        }
        if (inputs.eventbridge) (s.s3 as LocalS3Service).enableEventBridge(inputs.bucket, () => s.eventbridge);
        return { id: inputs.bucket, state: {} };
      },

      "aws:dynamodb/table:Table": async (name, inputs) => {
        const table = this.physicalName(name, inputs, 255);
        await s.dynamodb.createTable({
          name: table,
          hashKey: inputs.hashKey,
          rangeKey: inputs.rangeKey,
          attributes: inputs.attributes ?? [],
          globalSecondaryIndexes: inputs.globalSecondaryIndexes ?? [],
        });
        if (inputs.ttl?.enabled && inputs.ttl.attributeName) s.dynamodb.enableTtl(table, inputs.ttl.attributeName);
        const tableArn = arn("dynamodb", `table/${table}`);
        const streamArn = inputs.streamEnabled ? s.dynamodb.enableStream(table, inputs.streamViewType ?? "NEW_AND_OLD_IMAGES") : undefined;
        return { id: table, state: { name: table, arn: tableArn, streamArn } };
      },
      "aws:dynamodb/tableItem:TableItem": async (name, inputs) => {
        const item = JSON.parse(inputs.item) as DynamoDbItem;
        await s.dynamodb.putItem(inputs.tableName, item);
        const key = item[inputs.hashKey] ? Object.values(item[inputs.hashKey])[0] : name;
        return { id: `${inputs.tableName}|${inputs.hashKey}||${String(key)}|`, state: {} };
      },

      "aws:s3/bucket:Bucket": async (name, inputs) => {
        const bucket = (inputs.bucket ?? this.physicalName(name, {}, 63)).toLowerCase();
        await s.s3.createBucket(bucket);
        return {
          id: bucket,
          state: { bucket, arn: `arn:aws:s3:::${bucket}`, bucketDomainName: `${bucket}.s3.amazonaws.com`, bucketRegionalDomainName: `${bucket}.s3.${LOCAL_REGION}.amazonaws.com`, region: LOCAL_REGION },
        };
      },
      // Access blocks, ownership and encryption change nothing locally; expiry is checked by every
      // reader (records carry expiresAt), as it must be on AWS where lifecycle rules run daily.
      "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": accepted,
      "aws:s3/bucketOwnershipControls:BucketOwnershipControls": accepted,
      "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": accepted,
      // The rules' expirations are how long an object is stored (the cost meter's GB-months).
      "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": async (name, inputs) => {
        await (s.s3 as LocalS3Service).setLifecycleRules(inputs.bucket, lifecycleRulesOfPulumi(inputs.rules));
        return { id: `${name}-${this.shortId(name)}`, state: {} };
      },

      "aws:cloudwatch/logGroup:LogGroup": async (name, inputs) => {
        const group = this.physicalName(name, inputs, 512);
        return { id: group, state: { name: group, arn: arn("logs", `log-group:${group}`) } };
      },
      "aws:iam/role:Role": async (name, inputs) => {
        const role = this.physicalName(name, inputs);
        s.sts?.createRole(`arn:aws:iam::${LOCAL_ACCOUNT_ID}:role/${role}`);
        return { id: role, state: { name: role, arn: `arn:aws:iam::${LOCAL_ACCOUNT_ID}:role/${role}`, uniqueId: `AROA${this.shortId(name).toUpperCase()}` } };
      },
      "aws:iam/rolePolicy:RolePolicy": async (name, inputs) => ({ id: `${inputs.role}:${this.physicalName(name, inputs)}`, state: {} }),
      // A managed policy on a role: the local cloud enforces no IAM for functions.
      "aws:iam/rolePolicyAttachment:RolePolicyAttachment": async (name, inputs) => ({ id: `${inputs.role}-${this.shortId(name)}`, state: {} }),

      "aws:lambda/function:Function": async (name, inputs) => {
        const fn = this.physicalName(name, inputs);
        const fnArn = arn("lambda", `function:${fn}`);
        const { text } = await bundleText(inputs.code, fn);
        await s.lambda.createFunction({
          name: fn,
          arn: fnArn,
          code: text,
          handler: inputs.handler ?? "index.handler",
          environment: inputs.environment?.variables ?? {},
          timeoutSeconds: inputs.timeout ?? 3,
          memorySize: inputs.memorySize ?? 128,
          ...(inputs.architectures ? { architectures: inputs.architectures } : {}),
        });
        return {
          id: fn,
          state: {
            name: fn,
            arn: fnArn,
            qualifiedArn: `${fnArn}:$LATEST`,
            version: "$LATEST",
            invokeArn: `arn:aws:apigateway:${LOCAL_REGION}:lambda:path/2015-03-31/functions/${fnArn}/invocations`,
          },
        };
      },
      "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig": async (name, inputs) => {
        s.lambda.putEventInvokeConfig(inputs.functionName, {
          maximumRetryAttempts: inputs.maximumRetryAttempts ?? 2,
          maximumEventAgeInSeconds: inputs.maximumEventAgeInSeconds ?? 21600,
          onFailureDestination: inputs.destinationConfig?.onFailure?.destination,
        });
        return { id: inputs.functionName, state: {} };
      },
      // worker fargate: the cluster, the image (its build context is what a local task runs), the
      // network (nothing to emulate), and the task definition.
      "aws:ecs/cluster:Cluster": async (name, inputs) => {
        const cluster = this.physicalName(name, inputs, 255);
        const { arn: clusterArn } = this.ecs(name).createCluster(cluster);
        return { id: clusterArn, state: { name: cluster, arn: clusterArn } };
      },
      "aws:ecr/repository:Repository": async (name, inputs) => {
        const repository = this.physicalName(name, inputs, 256).toLowerCase();
        return { id: repository, state: { name: repository, arn: arn("ecr", `repository/${repository}`), repositoryUrl: `${LOCAL_ACCOUNT_ID}.dkr.ecr.${LOCAL_REGION}.amazonaws.com/${repository}`, registryId: LOCAL_ACCOUNT_ID } };
      },
      "aws:ecr/lifecyclePolicy:LifecyclePolicy": accepted,
      "awsx:ecr:Image": async (name, inputs) => {
        if (typeof inputs.context !== "string") throw new Error(`image ${name}: the local cloud needs a build context directory`);
        const imageUri = `${inputs.repositoryUrl}:${inputs.imageTag ?? "latest"}`;
        this.ecs(name).registerImage(imageUri, path.resolve(this.projectDir, inputs.context));
        return { id: imageUri, state: { imageUri } };
      },
      "awsx:ec2:DefaultVpc": async () => ({ id: "vpc-local", state: { vpcId: "vpc-local", publicSubnetIds: ["subnet-local-a", "subnet-local-b"], privateSubnetIds: [] } }),
      "aws:ec2/securityGroup:SecurityGroup": async (name) => {
        const id = `sg-${this.shortId(name)}`;
        return { id, state: { arn: arn("ec2", `security-group/${id}`) } };
      },
      "awsx:ecs:FargateTaskDefinition": async (name, inputs) => {
        const containers = inputs.container ? [inputs.container] : Object.entries(inputs.containers ?? {}).map(([key, c]: [string, any]) => ({ name: key, ...c }));
        const { arn: taskDefinitionArn } = this.ecs(name).registerTaskDefinition({
          family: inputs.family ?? this.physicalName(name, {}, 255),
          cpu: inputs.cpu,
          memory: inputs.memory,
          taskRoleArn: inputs.taskRole?.roleArn,
          executionRoleArn: inputs.executionRole?.roleArn,
          containers: containers.map((c: any) => ({ name: c.name, image: c.image, environment: c.environment, essential: c.essential, stopTimeoutSeconds: c.stopTimeout, command: c.command })),
        });
        return { id: taskDefinitionArn, state: {} };
      },
      "aws:lambda/eventSourceMapping:EventSourceMapping": async (name, inputs) => {
        const uuid = crypto.createHash("sha256").update(`${this.stack}/${name}`).digest("hex").replace(/^(.{8})(.{4})(.{3})(.{3})(.{12}).*$/, "$1-$2-4$3-a$4-$5");
        s.lambda.createEventSourceMapping({
          uuid,
          eventSourceArn: inputs.eventSourceArn,
          functionName: inputs.functionName,
          batchSize: inputs.batchSize,
          startingPosition: inputs.startingPosition,
          filterPatterns: (inputs.filterCriteria?.filters ?? []).map((f: { pattern: string }) => f.pattern),
          bisectBatchOnFunctionError: inputs.bisectBatchOnFunctionError,
          maximumRetryAttempts: inputs.maximumRetryAttempts,
          maximumRecordAgeInSeconds: inputs.maximumRecordAgeInSeconds,
          onFailureDestination: inputs.destinationConfig?.onFailure?.destinationArn,
          parallelizationFactor: inputs.parallelizationFactor,
          functionResponseTypes: inputs.functionResponseTypes,
          enabled: inputs.enabled,
        });
        return { id: uuid, state: { uuid, functionArn: inputs.functionName, state: inputs.enabled === false ? "Disabled" : "Enabled" } };
      },
      "aws:lambda/permission:Permission": async (name, inputs) => {
        if (inputs.principal === "apigateway.amazonaws.com" && inputs.action === "lambda:InvokeFunction") {
          s.apigateway.addLambdaPermission(inputs.function, inputs.sourceArn ?? "*");
        } else if (inputs.principal === "events.amazonaws.com" && inputs.action === "lambda:InvokeFunction") {
          s.eventbridge.addLambdaPermission(inputs.function, inputs.sourceArn ?? "*");
        } else {
          throw new Error(`permission ${name}: the local cloud knows lambda:InvokeFunction for apigateway.amazonaws.com and events.amazonaws.com only`);
        }
        return { id: this.physicalName(name, inputs), state: {} };
      },

      "aws:cloudwatch/eventBus:EventBus": async (name, inputs) => {
        const bus = this.physicalName(name, inputs, 256);
        const busArn = s.eventbridge.createEventBus(bus);
        return { id: bus, state: { name: bus, arn: busArn } };
      },
      "aws:cloudwatch/eventRule:EventRule": async (name, inputs) => {
        if (inputs.scheduleExpression) throw new Error(`rule ${name}: the local EventBridge runs no schedules`);
        const rule = this.physicalName(name, inputs, 64);
        const bus = inputs.eventBusName ?? "default";
        const ruleArn = s.eventbridge.putRule({ name: rule, eventBusName: bus, eventPattern: inputs.eventPattern, state: inputs.state ?? (inputs.isEnabled === false ? "DISABLED" : "ENABLED"), description: inputs.description });
        return { id: bus === "default" ? rule : `${bus}/${rule}`, state: { name: rule, arn: ruleArn, eventBusName: bus } };
      },
      "aws:cloudwatch/eventTarget:EventTarget": async (name, inputs) => {
        for (const unsupported of ["inputTransformer", "ecsTarget", "batchTarget", "kinesisTarget", "sqsTarget", "httpTarget", "runCommandTargets", "redshiftTarget", "sagemakerPipelineTarget", "appsyncTarget"]) {
          if (inputs[unsupported] !== undefined) throw new Error(`target ${name}: the local EventBridge does not support ${unsupported}`);
        }
        const targetId = inputs.targetId ?? this.physicalName(name, {}, 64);
        const bus = inputs.eventBusName ?? "default";
        s.eventbridge.putTarget(inputs.rule, bus, {
          id: targetId,
          arn: inputs.arn,
          roleArn: inputs.roleArn,
          input: inputs.input,
          inputPath: inputs.inputPath,
          retryPolicy: inputs.retryPolicy,
          deadLetterArn: inputs.deadLetterConfig?.arn,
        });
        return { id: `${bus}-${inputs.rule}-${targetId}`, state: { targetId, eventBusName: bus } };
      },
      "aws:cloudwatch/eventArchive:EventArchive": async (name, inputs) => {
        const archive = this.physicalName(name, inputs, 48);
        const archiveArn = s.eventbridge.createArchive({ name: archive, eventSourceArn: inputs.eventSourceArn, eventPattern: inputs.eventPattern, retentionDays: inputs.retentionDays, description: inputs.description });
        return { id: archive, state: { name: archive, arn: archiveArn } };
      },

      "aws:sqs/queue:Queue": async (name, inputs) => {
        if (inputs.fifoQueue) throw new Error(`queue ${name}: the local SQS has standard queues only`);
        const queue = this.physicalName(name, inputs, 80);
        const attributes: Record<string, string> = {};
        if (inputs.messageRetentionSeconds !== undefined) attributes.MessageRetentionPeriod = String(inputs.messageRetentionSeconds);
        if (inputs.visibilityTimeoutSeconds !== undefined) attributes.VisibilityTimeout = String(inputs.visibilityTimeoutSeconds);
        if (inputs.sqsManagedSseEnabled !== undefined) attributes.SqsManagedSseEnabled = String(inputs.sqsManagedSseEnabled);
        if (inputs.kmsMasterKeyId !== undefined) attributes.KmsMasterKeyId = String(inputs.kmsMasterKeyId);
        if (inputs.policy) attributes.Policy = inputs.policy;
        if (inputs.redrivePolicy) attributes.RedrivePolicy = inputs.redrivePolicy;
        const { url, arn: queueArn } = s.sqs.createQueue(queue, attributes);
        return { id: url, state: { name: queue, arn: queueArn, url } };
      },
      "aws:sqs/queuePolicy:QueuePolicy": async (name, inputs) => {
        s.sqs.setQueuePolicy(inputs.queueUrl, inputs.policy);
        return { id: inputs.queueUrl, state: {} };
      },

      "aws:sfn/stateMachine:StateMachine": async (name, inputs) => {
        const machine = this.physicalName(name, inputs, 80);
        const machineArn = arn("states", `stateMachine:${machine}`);
        await s.stepfunctions.createStateMachine({ name: machine, arn: machineArn, definition: inputs.definition, type: inputs.type ?? "STANDARD", roleArn: inputs.roleArn });
        return { id: machineArn, state: { name: machine, arn: machineArn } };
      },

      "aws:apigateway/restApi:RestApi": async (name, inputs) => {
        const apiId = this.shortId(name);
        s.apigateway.putRestApi(apiId, inputs.body);
        return { id: apiId, state: { rootResourceId: `${apiId}root`, executionArn: arn("execute-api", apiId) } };
      },
      "aws:apigateway/deployment:Deployment": async (name, inputs) => {
        const deploymentId = `${this.shortId(name)}-${crypto.createHash("sha256").update(JSON.stringify(inputs.triggers ?? {})).digest("hex").slice(0, 6)}`;
        s.apigateway.createDeployment(inputs.restApi, deploymentId);
        return { id: deploymentId, state: {} };
      },
      "aws:apigateway/stage:Stage": async (name, inputs) => {
        const invokeUrl = s.apigateway.createStage(inputs.restApi, inputs.stageName, inputs.deployment);
        return {
          id: `ags-${inputs.restApi}-${inputs.stageName}`,
          state: { invokeUrl, executionArn: arn("execute-api", `${inputs.restApi}/${inputs.stageName}`) },
        };
      },
      "aws:apigateway/methodSettings:MethodSettings": accepted,
      "aws:apigateway/account:Account": accepted,
      "aws:apigateway/apiKey:ApiKey": async (name, inputs) => {
        const id = this.shortId(name);
        const value = inputs.value ?? crypto.createHash("sha256").update(`${this.stack}/${name}/key`).digest("base64url").slice(0, 40);
        s.apigateway.createApiKey({ id, value, enabled: inputs.enabled ?? true });
        return { id, state: { value } };
      },
      "aws:apigateway/usagePlan:UsagePlan": async (name, inputs) => {
        const id = this.shortId(name);
        s.apigateway.createUsagePlan(id, (inputs.apiStages ?? []).map((st: any) => ({ apiId: st.apiId, stage: st.stage })));
        return { id, state: {} };
      },
      "aws:apigateway/usagePlanKey:UsagePlanKey": async (name, inputs) => {
        s.apigateway.addUsagePlanKey(inputs.usagePlanId, inputs.keyId);
        return { id: `${inputs.usagePlanId}-${inputs.keyId}`, state: {} };
      },
    };
  }
}
