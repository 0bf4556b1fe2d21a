/** The emulators the LocalMonitor materialises resources on (the local cloud starts them). */
import type { ApiGatewayService, DynamoDbService, EventBridgeService, LambdaService, S3Service, SqsService, StepFunctionsService } from "../aws/types";
import type { LocalEcsService } from "../aws/ecs";
import type { LocalStsService } from "../aws/sts";
import type { LocalSecretsManagerService } from "../aws/secretsmanager";

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
