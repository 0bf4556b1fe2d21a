import { describePush } from "./pushSuite";

describePush({ backend: "stepfunctions", store: "dynamodb", auth: "iam" });
describePush({ backend: "lambda", store: "dynamodb", auth: "none" });
describePush({ backend: "stream", store: "dynamodb", auth: "apiKey" });
