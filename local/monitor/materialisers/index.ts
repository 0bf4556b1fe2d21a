/** Every resource type the local cloud materialises, by service: one file per service, composed here. */
import { apiGatewayMaterialisers } from "./apigateway";
import type { MaterialiserContext, Materialisers } from "./context";
import { dynamoDbMaterialisers } from "./dynamodb";
import { ecsMaterialisers } from "./ecs";
import { eventBridgeMaterialisers } from "./eventbridge";
import { iamMaterialisers } from "./iam";
import { lambdaMaterialisers } from "./lambda";
import { logsMaterialisers } from "./logs";
import { providerMaterialisers } from "./providers";
import { s3Materialisers } from "./s3";
import { secretsManagerMaterialisers } from "./secretsmanager";
import { sqsMaterialisers } from "./sqs";
import { stepFunctionsMaterialisers } from "./stepfunctions";

export type { Materialiser, MaterialiserContext, Materialisers } from "./context";

const BY_SERVICE: ReadonlyArray<(ctx: MaterialiserContext) => Materialisers> = [
  providerMaterialisers,
  secretsManagerMaterialisers,
  dynamoDbMaterialisers,
  s3Materialisers,
  logsMaterialisers,
  iamMaterialisers,
  lambdaMaterialisers,
  ecsMaterialisers,
  eventBridgeMaterialisers,
  sqsMaterialisers,
  stepFunctionsMaterialisers,
  apiGatewayMaterialisers,
];

/** The materialisers of every service, by resource type. */
export function allMaterialisers(ctx: MaterialiserContext): Materialisers {
  return Object.assign({}, ...BY_SERVICE.map((of) => of(ctx))) as Materialisers;
}
