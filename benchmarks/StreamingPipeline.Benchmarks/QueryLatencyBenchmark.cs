using System.Diagnostics;
using System.Globalization;
using System.Net;
using DuckDB.NET.Data;
using Npgsql;
using StreamingPipeline.Analytics.Query;
using StreamingPipeline.Analytics.Schema;
using StreamingPipeline.Testing;

namespace StreamingPipeline.Benchmarks;

/// <summary>
/// Latency of the query shapes through the HTTP query API (client, Kestrel, validator, store, JSON) on a table
/// of N generated events: 100,000 users over 24 hours, types 60 % page_view, 25 % click, 10 % add_to_cart, 5 % purchase.
/// Arguments: <c>[rows=10000000] [runs=7] [duckdb|postgres|both]</c>. PostgreSQL runs on the kit's PostgresServer with
/// the schema's indexes.
/// </summary>
public static class QueryLatencyBenchmark
{
    private static readonly (string Name, string Sql)[] Shapes =
    [
        ("counts by type and minute (24 h)", """
            select eventType, date_trunc('minute', "timestamp") as minute, count(*) as events
            from user_events group by 1, 2 order by 2, 1
            """),
        ("counts by type and minute (last hour)", """
            select eventType, date_trunc('minute', "timestamp") as minute, count(*) as events
            from user_events where "timestamp" >= TIMESTAMP '2026-12-01 23:00:00' group by 1, 2 order by 2, 1
            """),
        // The same with a TIMESTAMPTZ bound (as now() or to_timestamp() give): on DuckDB, whose column is a UTC
        // TIMESTAMP, every row is converted to compare, so this shows what the docs' advice saves.
        ("counts by type and minute (last hour, TIMESTAMPTZ bound)", """
            select eventType, date_trunc('minute', "timestamp") as minute, count(*) as events
            from user_events where "timestamp" >= TIMESTAMPTZ '2026-12-01 23:00:00+00' group by 1, 2 order by 2, 1
            """),
        ("distinct users per hour", """
            select date_trunc('hour', "timestamp") as hour, count(distinct userId) as users from user_events group by 1 order by 1
            """),
        ("one user's last 20 events", """
            select eventId, eventType, page, "timestamp" from user_events where userId = 'user-4242' order by "timestamp" desc limit 20
            """),
        ("funnel view > cart > purchase", """
            with firsts as (
                select userId,
                       min(case when eventType = 'page_view' then "timestamp" end) as viewed,
                       min(case when eventType = 'add_to_cart' then "timestamp" end) as carted,
                       min(case when eventType = 'purchase' then "timestamp" end) as purchased
                from user_events group by userId)
            select count(viewed) as viewed, count(case when carted > viewed then 1 end) as carted,
                   count(case when purchased > carted and carted > viewed then 1 end) as purchased
            from firsts
            """),
        ("seed: select * from \"user-events\" limit 10", "select * from \"user-events\" limit 10"),
    ];

    /// <summary>Runs the benchmark.</summary>
    public static async Task<int> RunAsync(string[] args)
    {
        var rows = args.Length > 0 ? long.Parse(args[0], CultureInfo.InvariantCulture) : 10_000_000;
        var runs = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 7;
        var which = args.Length > 2 ? args[2] : "duckdb";
        Console.WriteLine($"query latency: {rows:N0} rows, {runs} timed runs per shape after one warm-up, through POST /query/sql; {Environment.ProcessorCount} cores");
        if (which is "duckdb" or "both")
        {
            using var directory = new TempDirectory("query-benchmark-");
            var path = Path.Combine(directory.Path, "analytics.duckdb");
            var load = Stopwatch.StartNew();
            await using (var writer = new DuckDBConnection($"Data Source={path}"))
            {
                await writer.OpenAsync();
                await AnalyticsSchema.EnsureDuckDbAsync(writer, CancellationToken.None);
                await using var insert = writer.CreateCommand();
                insert.CommandText = string.Format(CultureInfo.InvariantCulture, """
                    INSERT INTO user_events
                    SELECT uuid(), 'user-' || (hash(i) % 100000),
                           CASE WHEN r < 60 THEN 'page_view' WHEN r < 85 THEN 'click' WHEN r < 95 THEN 'add_to_cart' ELSE 'purchase' END,
                           '/page/' || (i % 500), 'session-' || (i // 20),
                           TIMESTAMP '2026-12-01 00:00:00' + to_microseconds((i * 86400000000 // {0})::BIGINT), (i % 8)::INTEGER, i // 8
                    FROM (SELECT range AS i, hash(range * 7919) % 100 AS r FROM range({0}))
                    """, rows);
                await insert.ExecuteNonQueryAsync();
            }
            Console.WriteLine($"duckdb: loaded in {load.Elapsed.TotalSeconds:0.0} s, file {new FileInfo(path).Length / 1048576.0:0} MiB");
            await using var store = await DuckDbQueryStore.OpenAsync(path, readOnly: true, CancellationToken.None);
            await MeasureAsync("duckdb", store, runs);
        }
        if (which is "postgres" or "both")
        {
            await using var server = await PostgresServer.StartAsync();
            var load = Stopwatch.StartNew();
            await using (var connection = new NpgsqlConnection(server.ConnectionString()))
            {
                await connection.OpenAsync();
                await AnalyticsSchema.EnsureAsync(connection, AnalyticsSchema.Postgres, CancellationToken.None);
                await using var insert = connection.CreateCommand();
                insert.CommandTimeout = 0;
                insert.CommandText = string.Format(CultureInfo.InvariantCulture, """
                    INSERT INTO user_events
                    SELECT gen_random_uuid(), 'user-' || (abs(hashint8(i)) % 100000),
                           CASE WHEN r < 60 THEN 'page_view' WHEN r < 85 THEN 'click' WHEN r < 95 THEN 'add_to_cart' ELSE 'purchase' END,
                           '/page/' || (i % 500), 'session-' || (i / 20),
                           TIMESTAMPTZ '2026-12-01 00:00:00+00' + make_interval(secs => i * 86400.0 / {0}), i % 8, i / 8
                    FROM (SELECT i, abs(hashint8(i * 7919)) % 100 AS r FROM generate_series(0::bigint, {0} - 1) AS i) s;
                    ANALYZE user_events;
                    """, rows);
                await insert.ExecuteNonQueryAsync();
            }
            Console.WriteLine($"postgres: loaded in {load.Elapsed.TotalSeconds:0.0} s");
            await using var store = await PostgresQueryStore.OpenAsync(server.ConnectionString(), CancellationToken.None);
            await MeasureAsync("postgres", store, runs);
        }
        return 0;
    }

    private static async Task MeasureAsync(string name, IQueryStore store, int runs)
    {
        await using var server = await QueryServer.StartAsync(store, new QueryServerOptions
        {
            Listen = new IPEndPoint(IPAddress.Loopback, 0),
            Limits = new QueryLimits { Timeout = TimeSpan.FromMinutes(5) },
        }, null, CancellationToken.None);
        using var client = new QueryApiClient(server.Url, null, TimeSpan.FromMinutes(6));
        Console.WriteLine($"| store | query | rows out | p50 ms | min ms | max ms |");
        Console.WriteLine($"|---|---|---:|---:|---:|---:|");
        foreach (var (shape, sql) in Shapes)
        {
            var times = new List<double>();
            var rowsOut = 0;
            for (var run = 0; run <= runs; run++)
            {
                var clock = Stopwatch.StartNew();
                var response = await client.QueryAsync(sql, CancellationToken.None);
                var elapsed = clock.Elapsed.TotalMilliseconds;
                if (response.Exceptions.Count > 0)
                {
                    Console.WriteLine($"{name} {shape}: {response.Exceptions[0].Message}");
                    return;
                }
                rowsOut = response.Result!.Rows.Count;
                if (run > 0)
                {
                    times.Add(elapsed);
                }
            }
            times.Sort();
            Console.WriteLine($"| {name} | {shape} | {rowsOut:N0} | {times[times.Count / 2]:0.0} | {times[0]:0.0} | {times[^1]:0.0} |");
        }
    }
}
