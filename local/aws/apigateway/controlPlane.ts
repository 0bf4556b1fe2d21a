/**
 * The local API Gateway's control plane: the REST APIs, their deployments and stages, API keys,
 * usage plans and the Lambda permissions granted to `apigateway.amazonaws.com`, as the local
 * cloud creates them from the program's resources. The data plane (executeApi.ts) reads them.
 */
import type { LocalApiKey } from "../types";
import { compileApi, type CompiledApi } from "./document";
import { LambdaPermissions } from "./permissions";

export interface Stage {
  apiId: string;
  name: string;
  /**
   * Where the stage is served: `<stage>`, or `<apiId>/<stage>` when another REST API of the
   * program already has a stage of that name (on AWS each API has its own host; here one port
   * serves them all, so the second is mounted below its id, as a custom domain's base path would be).
   */
  key: string;
  deploymentId: string;
  api: CompiledApi;
}

interface UsagePlan {
  stages: Array<{ apiId: string; stage: string }>;
  keyIds: Set<string>;
}

export class ApiGateway {
  private readonly apis = new Map<string, CompiledApi>();
  private readonly deployments = new Map<string, CompiledApi>();
  private readonly stages = new Map<string, Stage>();
  private readonly apiKeys = new Map<string, LocalApiKey>();
  private readonly usagePlans = new Map<string, UsagePlan>();
  private readonly permissions = new LambdaPermissions();

  /** `invokeBase()` is `http://<publicHost>:<port>`, read when a stage is created. */
  constructor(
    private readonly invokeBase: () => string,
    private readonly log: (line: string) => void,
  ) {}

  /** PutRestApi / ImportRestApi: compiles the OpenAPI document under the API's id. */
  putRestApi(apiId: string, body: string): void {
    this.apis.set(apiId, compileApi(body));
  }

  /** CreateDeployment: snapshots the API's current document. */
  createDeployment(apiId: string, deploymentId: string): void {
    const api = this.apis.get(apiId);
    if (!api) throw new Error(`createDeployment: no REST API ${apiId}`);
    this.deployments.set(`${apiId}/${deploymentId}`, api);
  }

  /** CreateStage: serves a deployment at `/<stage>` (or `/<apiId>/<stage>`); returns the invoke URL. */
  createStage(apiId: string, stageName: string, deploymentId: string): string {
    const api = this.deployments.get(`${apiId}/${deploymentId}`);
    if (!api) throw new Error(`createStage: no deployment ${deploymentId} of REST API ${apiId}`);
    if (!/^[A-Za-z0-9_-]+$/.test(stageName)) throw new Error(`createStage: invalid stage name ${JSON.stringify(stageName)}`);
    const prior = this.stages.get(stageName);
    const key = prior && prior.apiId !== apiId ? `${apiId}/${stageName}` : stageName;
    if (key !== stageName) this.log(`stage ${stageName} of REST API ${apiId} is served at /${key} (REST API ${prior!.apiId} has /${stageName})`);
    this.stages.delete(key);
    this.stages.set(key, { apiId, name: stageName, key, deploymentId, api });
    return `${this.invokeBase()}/${key}`;
  }

  /** CreateApiKey. */
  createApiKey(key: LocalApiKey): void {
    this.apiKeys.set(key.id, { ...key });
  }

  /** CreateUsagePlan: the plan's keys become valid on these stages (keys already added stay). */
  createUsagePlan(planId: string, planStages: Array<{ apiId: string; stage: string }>): void {
    const plan = this.usagePlans.get(planId);
    this.usagePlans.set(planId, { stages: planStages.map((s) => ({ ...s })), keyIds: plan?.keyIds ?? new Set() });
  }

  /** CreateUsagePlanKey. */
  addUsagePlanKey(planId: string, keyId: string): void {
    let plan = this.usagePlans.get(planId);
    if (!plan) this.usagePlans.set(planId, (plan = { stages: [], keyIds: new Set() }));
    plan.keyIds.add(keyId);
  }

  /** Lambda's AddPermission for `apigateway.amazonaws.com`. */
  addLambdaPermission(functionNameOrArn: string, sourceArn: string): void {
    this.permissions.add(functionNameOrArn, sourceArn);
  }

  /** The stage served at this key (`<stage>` or `<apiId>/<stage>`). */
  stageAt(key: string): Stage | undefined {
    return this.stages.get(key);
  }

  /** The gateway responses of an unknown stage: those of the only API served, if there is just one. */
  fallbackApi(): CompiledApi | undefined {
    const served = [...this.stages.values()];
    return new Set(served.map((s) => s.apiId)).size === 1 ? served[served.length - 1].api : undefined;
  }

  /** The API key whose value this is. */
  apiKeyWithValue(value: string): LocalApiKey | undefined {
    return [...this.apiKeys.values()].find((k) => k.value === value);
  }

  /** Whether a usage plan of this stage holds the key. */
  isKeyPlannedFor(keyId: string, stage: Stage): boolean {
    return [...this.usagePlans.values()].some((p) => p.keyIds.has(keyId) && p.stages.some((s) => s.apiId === stage.apiId && s.stage === stage.name));
  }

  /** Whether a permission lets API Gateway invoke the function from one of these source ARNs. */
  mayInvoke(functionArn: string, sourceArns: string[]): boolean {
    return this.permissions.allows(functionArn, sourceArns);
  }
}
