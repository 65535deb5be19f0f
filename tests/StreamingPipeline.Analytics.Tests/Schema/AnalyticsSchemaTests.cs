using DuckDB.NET.Data;
using Npgsql;
using StreamingPipeline.Analytics.Schema;
using StreamingPipeline.Analytics.Stores;

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
                    ('6f1d2a34-8f0e-4c55-9a51-0d2f9b1e7a11', 'user-1', 'click', '/home', 's-1', TIMESTAMP '2026-12-02 10:00:00', 0, 0),
                    ('0a9c1e77-3b52-4e0b-8d4e-5c7a2f6b9d20', 'user-2', 'view', '/products/17', 's-2', TIMESTAMP '2026-12-02 10:00:01', 1, 0)
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
    public async Task A_DuckDb_file_with_the_earlier_TIMESTAMPTZ_column_is_migrated_at_open_keeping_every_instant()
    {
        using var dir = new TempDirectory();
        var path = Path.Combine(dir.Path, "analytics.duckdb");
        // The schema as the first release created it, with rows written in a zone that is not UTC.
        await using (var old = new DuckDBConnection($"Data Source={path}"))
        {
            await old.OpenAsync();
            await using var setup = old.CreateCommand();
            setup.CommandText = """
                SET TimeZone = 'America/New_York';
                CREATE TABLE user_events (
                    eventId UUID PRIMARY KEY, userId VARCHAR NOT NULL, eventType VARCHAR NOT NULL, page VARCHAR NOT NULL,
                    sessionId VARCHAR NOT NULL, "timestamp" TIMESTAMPTZ NOT NULL, kafkaPartition INTEGER NOT NULL, kafkaOffset BIGINT NOT NULL);
                CREATE TABLE ingest_offsets (topic VARCHAR NOT NULL, "partition" INTEGER NOT NULL, nextOffset BIGINT NOT NULL, PRIMARY KEY (topic, "partition"));
                CREATE VIEW "user-events" AS SELECT eventId, userId, eventType, page, sessionId, "timestamp" FROM user_events;
                INSERT INTO user_events VALUES
                    ('6f1d2a34-8f0e-4c55-9a51-0d2f9b1e7a11', 'user-1', 'click', '/home', 's-1', TIMESTAMPTZ '2026-12-02 10:00:00.123+00', 0, 0),
                    ('0a9c1e77-3b52-4e0b-8d4e-5c7a2f6b9d20', 'user-2', 'view', '/products/17', 's-2', TIMESTAMPTZ '2026-12-02 05:30:01-05', 1, 0);
                INSERT INTO ingest_offsets VALUES ('output-user-events', 0, 1), ('output-user-events', 1, 1);
                """;
            await setup.ExecuteNonQueryAsync();
        }

        await using (var store = new DuckDbAnalyticsStore(path))
        {
            await store.OpenAsync(CancellationToken.None);
            Assert.Equal(new Dictionary<int, long> { [0] = 1, [1] = 1 }, await store.ReadOffsetsAsync("output-user-events", CancellationToken.None));
        }
        await using (var store = new DuckDbAnalyticsStore(path))
        {
            await store.OpenAsync(CancellationToken.None); // a second start finds nothing to migrate
        }

        await using var connection = new DuckDBConnection($"Data Source={path}");
        await connection.OpenAsync();
        await using var query = connection.CreateCommand();
        query.CommandText = "SELECT data_type FROM information_schema.columns WHERE table_name = 'user_events' AND column_name = 'timestamp'";
        Assert.Equal("TIMESTAMP", await query.ExecuteScalarAsync());
        query.CommandText = """select userId, "timestamp" from "user-events" order by 1 limit 10""";
        var rows = new List<(string, DateTime)>();
        await using (var reader = await query.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                rows.Add((reader.GetString(0), reader.GetDateTime(1)));
            }
        }
        Assert.Equal([("user-1", new DateTime(2026, 12, 2, 10, 0, 0, 123)), ("user-2", new DateTime(2026, 12, 2, 10, 30, 1))], rows);
        query.CommandText = "INSERT INTO user_events VALUES ('6f1d2a34-8f0e-4c55-9a51-0d2f9b1e7a11', 'again', 'click', '/', 's', TIMESTAMP '2026-12-02 11:00:00', 0, 2)";
        await Assert.ThrowsAsync<DuckDBException>(() => query.ExecuteNonQueryAsync()); // the primary key survived
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
