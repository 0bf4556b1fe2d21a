import { describeJobApi } from "./jobApiSuite";

describeJobApi({ backend: "lambda", store: "dynamodb", auth: "none" });
describeJobApi({ backend: "lambda", store: "s3", auth: "iam" });
