/** DynamoDB tables (with TTL and streams) and table items, on the local DynamoDB. */
import type { DynamoDbItem } from "../../aws/types";
import { arn, type MaterialiserContext, type Materialisers } from "./context";

export function dynamoDbMaterialisers(ctx: MaterialiserContext): Materialisers {
  const { dynamodb } = ctx.services;
  return {
    "aws:dynamodb/table:Table": async (name, inputs) => {
      const table = ctx.physicalName(name, inputs, 255);
      await dynamodb.createTable({
        name: table,
        hashKey: inputs.hashKey,
        rangeKey: inputs.rangeKey,
        attributes: inputs.attributes ?? [],
        globalSecondaryIndexes: inputs.globalSecondaryIndexes ?? [],
      });
      if (inputs.ttl?.enabled && inputs.ttl.attributeName) dynamodb.enableTtl(table, inputs.ttl.attributeName);
      const tableArn = arn("dynamodb", `table/${table}`);
      const streamArn = inputs.streamEnabled ? dynamodb.enableStream(table, inputs.streamViewType ?? "NEW_AND_OLD_IMAGES") : undefined;
      return { id: table, state: { name: table, arn: tableArn, streamArn } };
    },
    "aws:dynamodb/tableItem:TableItem": async (name, inputs) => {
      const item = JSON.parse(inputs.item) as DynamoDbItem;
      await dynamodb.putItem(inputs.tableName, item);
      const key = item[inputs.hashKey] ? Object.values(item[inputs.hashKey])[0] : name;
      return { id: `${inputs.tableName}|${inputs.hashKey}||${String(key)}|`, state: {} };
    },
  };
}
