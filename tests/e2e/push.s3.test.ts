import { describePush } from "./pushSuite";

describePush({ backend: "stepfunctions", store: "s3", auth: "none" });
describePush({ backend: "lambda", store: "s3", auth: "iam" });
