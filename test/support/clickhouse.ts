// ClickHouse reads the integration tests share.
import type { ClickHouseClient } from '@clickhouse/client';

/** The tables of `database` on the server `client` talks to, with their engines, by name. */
export async function tablesOf(
  client: ClickHouseClient,
  database: string,
): Promise<{ name: string; engine: string }[]> {
  const result = await client.query({
    // A literal, not a query parameter: 18.16 has no query parameters (our names only).
    query: `SELECT name, engine FROM system.tables WHERE database = '${database}' ORDER BY name`,
    format: 'JSONEachRow',
  });
  return result.json<{ name: string; engine: string }>();
}
