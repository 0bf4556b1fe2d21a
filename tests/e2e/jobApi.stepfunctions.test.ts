import { describeJobApi } from "./jobApiSuite";

describeJobApi({ backend: "stepfunctions", store: "dynamodb", auth: "iam" });
describeJobApi({ backend: "stepfunctions", store: "s3", auth: "apiKey" });
