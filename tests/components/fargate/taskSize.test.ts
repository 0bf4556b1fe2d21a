// Fargate's task sizes, checked as pairs (AWS, "Amazon ECS task definition parameters for Fargate",
// Task size; "Troubleshoot Amazon ECS task definition invalid CPU or memory errors"): any other pair
// is refused by RegisterTaskDefinition during `pulumi up`, after the image is built.
import { expect } from "chai";
import { FARGATE_TASK_SIZES, fargateTaskSizeError } from "../../../components/fargate/taskSize";

describe("Fargate task sizes (cpu and memory as a pair)", () => {
  it("accepts exactly AWS's table", () => {
    const valid = (cpu: number, memory: number) => fargateTaskSizeError(cpu, memory) === undefined;
    for (const m of [512, 1024, 2048]) expect(valid(256, m), `256/${m}`).to.equal(true);
    for (let m = 1024; m <= 4096; m += 1024) expect(valid(512, m), `512/${m}`).to.equal(true);
    for (let m = 2048; m <= 8192; m += 1024) expect(valid(1024, m), `1024/${m}`).to.equal(true);
    for (let m = 4096; m <= 16384; m += 1024) expect(valid(2048, m), `2048/${m}`).to.equal(true);
    for (let m = 8192; m <= 30720; m += 1024) expect(valid(4096, m), `4096/${m}`).to.equal(true);
    for (let m = 16384; m <= 61440; m += 4096) expect(valid(8192, m), `8192/${m}`).to.equal(true);
    for (let m = 32768; m <= 122880; m += 8192) expect(valid(16384, m), `16384/${m}`).to.equal(true);
    const count = [...FARGATE_TASK_SIZES.values()].reduce((n, mems) => n + mems.length, 0);
    expect(count).to.equal(3 + 4 + 7 + 13 + 23 + 12 + 12);
  });

  it("refuses pairs whose values are each valid alone, saying which memory fits the cpu", () => {
    expect(fargateTaskSizeError(256, 8192)).to.match(/cpu 256 runs with memory 512, 1024, 2048 MiB .*got memory 8192; 8192 MiB runs with cpu 1024 or 2048 or 4096/);
    expect(fargateTaskSizeError(4096, 4096)).to.match(/cpu 4096 runs with memory 8192 to 30720 in steps of 1024 MiB .*got memory 4096/);
    expect(fargateTaskSizeError(1024, 2560)).to.match(/got memory 2560/);
    expect(fargateTaskSizeError(8192, 18432)).to.match(/steps of 4096/);
    expect(fargateTaskSizeError(16384, 131072)).to.match(/32768 to 122880 in steps of 8192/);
  });

  it("refuses a cpu value Fargate does not have", () => {
    expect(fargateTaskSizeError(1000, 2048)).to.match(/cpu must be one of 256, 512, 1024, 2048, 4096, 8192, 16384/);
  });
});
