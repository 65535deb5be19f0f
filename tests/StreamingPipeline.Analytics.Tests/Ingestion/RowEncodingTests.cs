using System.Data.Common;
using DuckDB.NET.Data;
using StreamingPipeline.Analytics.Ingestion;
using StreamingPipeline.Analytics.Stores;
using StreamingPipeline.Events;

namespace StreamingPipeline.Analytics.Tests.Ingestion;

/// <summary>
/// The stores write rows in the databases' own binary layouts (DuckDB data chunks, PostgreSQL binary COPY) from the
/// batch's UTF-8: what they store must read back as the same values the typed paths (DuckDB.NET's appender, the
/// event's .NET fields) give.
/// </summary>
public sealed class RowEncodingTests(PostgresFixture postgres) : IClassFixture<PostgresFixture>
{
    // More than two DuckDB vectors (2,048 rows each), so chunk boundaries are crossed.
    private const int Rows = 5000;

    [Fact]
    public async Task DuckDb_rows_read_back_exactly_as_the_typed_appender_stores_the_same_events()
    {
        using var dir = new TempDirectory();
        var events = Events();
        await using var store = new DuckDbAnalyticsStore(dir.Combine("analytics.duckdb"));
        await store.OpenAsync(CancellationToken.None);

        var outcome = await store.CommitAsync(Batch(events), CancellationToken.None);

        Assert.Equal(new BatchOutcome(Rows, 0), outcome);
        await using var reader = await store.OpenReaderAsync(CancellationToken.None);
        await using (var create = reader.CreateCommand())
        {
            create.CommandText = "CREATE TABLE typed_events AS SELECT * FROM user_events LIMIT 0";
            await create.ExecuteNonQueryAsync();
        }
        using (var appender = reader.CreateAppender("typed_events"))
        {
            foreach (var (e, partition, offset) in events)
            {
                appender.CreateRow().AppendValue(e.EventId).AppendValue(e.UserId).AppendValue(EventTypes.Name(e.EventType)).AppendValue(e.Page)
                    .AppendValue(e.SessionId).AppendValue(DuckDbAnalyticsStore.UtcTimestamp(e.Timestamp)).AppendValue(partition).AppendValue(offset).EndRow();
            }
        }
        // Ordered by eventId: DuckDB's UUID order must match too, which a wrong hugeint layout would break.
        var typed = await ReadAsync(reader, "SELECT * FROM typed_events ORDER BY eventId");
        var stored = await ReadAsync(reader, "SELECT * FROM user_events ORDER BY eventId");
        Assert.Equal(typed, stored);
        Assert.Equal(Expected(events, e => DuckDbAnalyticsStore.UtcTimestamp(e.Timestamp)), stored.OrderBy(r => ((long)r[6], (long)r[7])).ToList());
    }

    [Fact]
    public async Task Postgres_rows_read_back_as_the_events_fields()
    {
        var database = await postgres.Server.CreateDatabaseAsync("encoding");
        var events = Events();
        await using var store = new PostgresAnalyticsStore(database);
        await store.OpenAsync(CancellationToken.None);

        var outcome = await store.CommitAsync(Batch(events), CancellationToken.None);

        Assert.Equal(new BatchOutcome(Rows, 0), outcome);
        await using var connection = await store.OpenReaderAsync(CancellationToken.None);
        var stored = await ReadAsync(connection, "SELECT * FROM user_events ORDER BY kafkapartition, kafkaoffset");
        Assert.Equal(Expected(events, e => DateTime.UnixEpoch.AddMilliseconds(e.Timestamp)), stored.ToList());
        Assert.All(stored, r => Assert.Equal(DateTimeKind.Utc, ((DateTime)r[5]).Kind));
    }

    /// <summary>Events with the awkward cases: non-ASCII, empty and long pages, strings on both sides of DuckDB's 12-byte inline limit, both halves of the UUID space.</summary>
    private static List<(UserEvent Event, int Partition, long Offset)> Events()
    {
        var random = new Random(7);
        var events = new List<(UserEvent, int, long)>();
        for (var n = 0; n < Rows; n++)
        {
            var id = new byte[16];
            random.NextBytes(id);
            var page = (n % 5) switch
            {
                0 => "",
                1 => "/p",
                2 => "/products/" + n,
                3 => "/straße/ü/" + new string('x', n % 300),
                _ => "/ε/" + n,
            };
            var e = new UserEvent(new Guid(id), $"user-{n % 97}" + (n % 3 == 0 ? "-long-enough-to-spill" : ""), EventTypes.All[n % EventTypes.All.Count], page, $"s{n % 11}", n % 7 == 0 ? UserEventLimits.MaxTimestampExclusive - 1 - n : UserEventLimits.MinTimestamp + (n * 997_001L));
            events.Add((e, n % 3, n / 3));
        }
        return events;
    }

    private static IngestBatch Batch(List<(UserEvent Event, int Partition, long Offset)> events)
    {
        var batch = new IngestBatch("t");
        foreach (var (e, partition, offset) in events)
        {
            var fields = UserEventParser.ParseFields(UserEventSerializer.Serialize(e));
            batch.AddEvent(fields, partition, offset, 0);
        }
        return batch;
    }

    private static List<object[]> Expected(List<(UserEvent Event, int Partition, long Offset)> events, Func<UserEvent, DateTime> timestamp) =>
        events.OrderBy(r => ((long)r.Partition, r.Offset))
            .Select(r => new object[] { r.Event.EventId, r.Event.UserId, EventTypes.Name(r.Event.EventType), r.Event.Page, r.Event.SessionId, timestamp(r.Event), (long)r.Partition, r.Offset })
            .ToList();

    private static async Task<List<object[]>> ReadAsync(DbConnection connection, string sql)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<object[]>();
        while (await reader.ReadAsync())
        {
            var row = new object[reader.FieldCount];
            reader.GetValues(row);
            // kafkaPartition reads back as int; the expectations hold it as long, like kafkaOffset.
            row[6] = Convert.ToInt64(row[6], System.Globalization.CultureInfo.InvariantCulture);
            rows.Add(row);
        }
        return rows;
    }
}
