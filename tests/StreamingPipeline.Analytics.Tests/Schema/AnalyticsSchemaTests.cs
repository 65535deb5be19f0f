using DuckDB.NET.Data;
using Npgsql;
using StreamingPipeline.Analytics.Schema;

namespace StreamingPipeline.Analytics.Tests.Schema;

public sealed class AnalyticsSchemaTests
{
    [Fact]
    public async Task DuckDb_schema_is_idempotent_and_the_seed_query_reads_the_view()
    {
        using var dir = new TempDirectory();
        await using var connection = new DuckDBConnection($"Data Source={Path.Combine(dir.Path, "analytics.duckdb")}");
        await connection.OpenAsync();
        await AnalyticsSchema.EnsureAsync(connection, AnalyticsSchema.DuckDb, CancellationToken.None);
        await AnalyticsSchema.EnsureAsync(connection, AnalyticsSchema.DuckDb, CancellationToken.None);

        await using (var insert = connection.CreateCommand())
        {
            insert.CommandText = """
                INSERT INTO user_events VALUES
                    ('6f1d2a34-8f0e-4c55-9a51-0d2f9b1e7a11', 'user-1', 'click', '/home', 's-1', TIMESTAMPTZ '2026-12-02 10:00:00+00', 0, 0),
                    ('0a9c1e77-3b52-4e0b-8d4e-5c7a2f6b9d20', 'user-2', 'view', '/products/17', 's-2', TIMESTAMPTZ '2026-12-02 10:00:01+00', 1, 0)
                """;
            await insert.ExecuteNonQueryAsync();
        }

        await using var query = connection.CreateCommand();
        query.CommandText = """select eventType, count(*) from "user-events" group by 1 order by 1 limit 10""";
        await using var reader = await query.ExecuteReaderAsync();
        var rows = new List<(string, long)>();
        while (await reader.ReadAsync())
        {
            rows.Add((reader.GetString(0), reader.GetInt64(1)));
        }

        Assert.Equal([("click", 1L), ("view", 1L)], rows);
    }

    [Fact]
    public async Task Postgres_schema_is_idempotent_and_the_seed_queries_run_unchanged()
    {
        await using var server = await PostgresServer.StartAsync();
        await using var connection = new NpgsqlConnection(server.ConnectionString());
        await connection.OpenAsync();
        await AnalyticsSchema.EnsureAsync(connection, AnalyticsSchema.Postgres, CancellationToken.None);
        await AnalyticsSchema.EnsureAsync(connection, AnalyticsSchema.Postgres, CancellationToken.None);

        await using (var insert = connection.CreateCommand())
        {
            insert.CommandText = """
                INSERT INTO user_events VALUES
                    ('6f1d2a34-8f0e-4c55-9a51-0d2f9b1e7a11', 'user-1', 'click', '/home', 's-1', TIMESTAMPTZ '2026-12-02 10:00:00+00', 0, 0),
                    ('0a9c1e77-3b52-4e0b-8d4e-5c7a2f6b9d20', 'user-2', 'view', '/products/17', 's-2', TIMESTAMPTZ '2026-12-02 10:00:01+00', 1, 0)
                """;
            await insert.ExecuteNonQueryAsync();
        }

        await using var query = connection.CreateCommand();
        query.CommandText = "select eventType, count(*) from user_events group by 1 order by 1";
        var rows = new List<(string, long)>();
        await using (var reader = await query.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                rows.Add((reader.GetString(0), reader.GetInt64(1)));
            }
        }
        Assert.Equal([("click", 1L), ("view", 1L)], rows);

        query.CommandText = """select * from "user-events" limit 10""";
        await using var seed = await query.ExecuteReaderAsync();
        var count = 0;
        while (await seed.ReadAsync())
        {
            count++;
        }
        Assert.Equal(2, count);
    }
}
