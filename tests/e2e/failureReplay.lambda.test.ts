import { describeFailureReplay } from "./failureReplaySuite";

describeFailureReplay("lambda");
