import { describeFailureReplay } from "./failureReplaySuite";

describeFailureReplay("stepfunctions");
