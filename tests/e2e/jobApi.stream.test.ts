import { describeJobApi } from "./jobApiSuite";

describeJobApi({ backend: "stream", store: "dynamodb", auth: "iam" });
describeJobApi({ backend: "stream", store: "dynamodb", auth: "apiKey" });
