import { describeJobApi } from "./jobApiSuite";

describeJobApi({ backend: "stepfunctions", store: "dynamodb", auth: "iam", worker: "fargate" });
describeJobApi({ backend: "stepfunctions", store: "s3", auth: "none", worker: "fargate" });
