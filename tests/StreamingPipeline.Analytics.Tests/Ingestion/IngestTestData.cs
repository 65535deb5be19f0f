using System.Data.Common;
using System.Text;
using Confluent.Kafka;
using StreamingPipeline.Events;

namespace StreamingPipeline.Analytics.Tests.Ingestion;

/// <summary>Events to produce and the rows the store must then hold, for the ingestion tests.</summary>
internal static class IngestTestData
{
    public const string Topic = "output-user-events";
    public const string Dlq = "user-events-dlq";

    /// <summary>The n-th test event; its eventId is derived from n, so the same n is the same event.</summary>
    public static UserEvent Event(int n) => new(
        new Guid(n, 0x1d2a, 0x4c55, [0x9a, 0x51, 0x0d, 0x2f, 0x9b, 0x1e, 0x7a, 0x11]),
        $"user-{n % 37}",
        EventTypes.All[n % EventTypes.All.Count],
        $"/products/{n % 101}",
        $"session-{n % 13}",
        1_790_000_000_000 + n);

    public static string Json(in UserEvent e) => Encoding.UTF8.GetString(UserEventSerializer.Serialize(e));

    /// <summary>Produces <paramref name="values"/> to their partitions, each batch in one transaction, committed or aborted.</summary>
    public static async Task ProduceTransactionAsync(string bootstrap, string transactionalId, IEnumerable<(int Partition, string Value)> values, bool commit)
    {
        using var producer = KafkaClients.TransactionalProducer(bootstrap, transactionalId);
        producer.InitTransactions(TimeSpan.FromSeconds(30));
        producer.BeginTransaction();
        foreach (var (partition, value) in values)
        {
            await producer.ProduceAsync(new TopicPartition(Topic, partition), new Message<string, string> { Key = "k", Value = value });
        }
        if (commit)
        {
            producer.CommitTransaction(TimeSpan.FromSeconds(30));
        }
        else
        {
            producer.AbortTransaction(TimeSpan.FromSeconds(30));
        }
    }

    /// <summary>Produces <paramref name="values"/> without a transaction.</summary>
    public static async Task ProduceAsync(string bootstrap, IEnumerable<(int Partition, string Value)> values)
    {
        using var producer = KafkaClients.Producer(bootstrap);
        foreach (var (partition, value) in values)
        {
            await producer.ProduceAsync(new TopicPartition(Topic, partition), new Message<string, string> { Key = "k", Value = value });
        }
    }

    /// <summary>The rows of user_events as (eventId, partition, offset), ordered by partition and offset.</summary>
    public static async Task<List<(Guid EventId, int Partition, long Offset)>> ReadRowsAsync(DbConnection connection)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = "select eventId, kafkaPartition, kafkaOffset from user_events order by 2, 3";
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<(Guid, int, long)>();
        while (await reader.ReadAsync())
        {
            rows.Add((reader.GetGuid(0), reader.GetInt32(1), reader.GetInt64(2)));
        }
        return rows;
    }

    /// <summary>The stored next offsets per partition.</summary>
    public static async Task<Dictionary<int, long>> ReadOffsetsAsync(DbConnection connection)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = "select \"partition\", nextOffset from ingest_offsets order by 1";
        await using var reader = await command.ExecuteReaderAsync();
        var offsets = new Dictionary<int, long>();
        while (await reader.ReadAsync())
        {
            offsets[reader.GetInt32(0)] = reader.GetInt64(1);
        }
        return offsets;
    }

    /// <summary>
    /// What the store must hold after ingesting the whole topic: every valid record of its read_committed content, in
    /// partition and offset order (the tests produce no eventId twice unless they say so).
    /// </summary>
    public static List<(Guid EventId, int Partition, long Offset)> ExpectedRows(string bootstrap, int partitions)
    {
        var rows = new List<(Guid, int, long)>();
        foreach (var record in KafkaClients.ReadAllBytes(bootstrap, Topic, partitions, IsolationLevel.ReadCommitted))
        {
            var parsed = UserEventParser.Parse(record.Message.Value ?? []);
            if (parsed.IsValid)
            {
                rows.Add((parsed.Event.EventId, record.Partition.Value, record.Offset.Value));
            }
        }
        return rows;
    }
}
