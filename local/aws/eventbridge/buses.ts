/**
 * The local EventBridge's event buses (the `default` bus exists from the start): CreateEventBus,
 * DescribeEventBus and ListEventBuses.
 */
import { EventsApiError, type Bus } from "./model";
import { busArnOf, busNameOf, byNamePrefix } from "./names";

export class Buses {
  private readonly buses = new Map<string, Bus>([["default", { name: "default", arn: busArnOf("default"), createdAt: new Date() }]]);

  constructor(private readonly note: (line: string) => void) {}

  /** The bus a name or bus ARN names (the default bus when absent), if it exists. */
  find(ref: string | undefined): Bus | undefined {
    return this.buses.get(busNameOf(ref));
  }

  /** The bus a name or bus ARN names, or ResourceNotFoundException. */
  mustBus(ref: string | undefined): Bus {
    const bus = this.find(ref);
    if (!bus) throw new EventsApiError("ResourceNotFoundException", `Event bus ${busNameOf(ref)} does not exist.`);
    return bus;
  }

  /** Creates a bus (keeps it when it exists); returns its ARN. */
  createEventBus(name: string): string {
    if (!/^[/.\-_A-Za-z0-9]{1,256}$/.test(name) || name === "default") throw new EventsApiError("ValidationException", `Event bus name ${name} is not valid.`);
    if (!this.buses.has(name)) {
      this.buses.set(name, { name, arn: busArnOf(name), createdAt: new Date() });
      this.note(`created event bus ${name}`);
    }
    return busArnOf(name);
  }

  describeEventBus(ref: string | undefined) {
    const bus = this.mustBus(ref);
    return { Name: bus.name, Arn: bus.arn, CreationTime: bus.createdAt, LastModifiedTime: bus.createdAt };
  }

  listEventBuses(namePrefix: unknown) {
    return { EventBuses: byNamePrefix([...this.buses.values()], namePrefix).map((bus) => ({ Name: bus.name, Arn: bus.arn, CreationTime: bus.createdAt })) };
  }
}
