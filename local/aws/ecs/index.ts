/** The local ECS service (worker fargate): see service.ts for the operations it serves and the pages it follows. */
export { startEcsService } from "./service";
export { EcsError } from "./errors";
export { containerCommand, DockerfileError } from "./dockerfile";
export type * from "./types";
