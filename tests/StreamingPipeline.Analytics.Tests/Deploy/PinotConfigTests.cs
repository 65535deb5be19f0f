using System.Text.Json;
using DuckDB.NET.Data;
using StreamingPipeline.Analytics.Schema;

namespace StreamingPipeline.Analytics.Tests.Deploy;

/// <summary>deploy/pinot/ parses and matches the pipeline: the output topic, read_committed, dedup on eventId for the window, the store's columns.</summary>
public sealed class PinotConfigTests
{
    private static readonly string PinotDirectory = Path.Combine(FindRepositoryRoot(), "deploy", "pinot");

    [Fact]
    public void The_table_config_consumes_the_output_topic_read_committed_with_dedup_for_the_window()
    {
        using var table = JsonDocument.Parse(File.ReadAllText(Path.Combine(PinotDirectory, "user-events.table.json")));
        var root = table.RootElement;

        Assert.Equal("user-events", root.GetProperty("tableName").GetString());
        Assert.Equal("REALTIME", root.GetProperty("tableType").GetString());
        Assert.Equal("timestamp", root.GetProperty("segmentsConfig").GetProperty("timeColumnName").GetString());
        Assert.Equal("user-events", root.GetProperty("segmentsConfig").GetProperty("schemaName").GetString());
        var stream = Assert.Single(root.GetProperty("ingestionConfig").GetProperty("streamIngestionConfig").GetProperty("streamConfigMaps").EnumerateArray());
        Assert.Equal("kafka", stream.GetProperty("streamType").GetString());
        Assert.Equal("output-user-events", stream.GetProperty("stream.kafka.topic.name").GetString());
        Assert.Equal("read_committed", stream.GetProperty("stream.kafka.isolation.level").GetString());
        var dedup = root.GetProperty("dedupConfig");
        Assert.True(dedup.GetProperty("dedupEnabled").GetBoolean());
        Assert.Equal("timestamp", dedup.GetProperty("dedupTimeColumn").GetString());
        Assert.Equal(TimeSpan.FromHours(24).TotalMilliseconds, dedup.GetProperty("metadataTTL").GetDouble());
        Assert.Equal("strictReplicaGroup", root.GetProperty("routing").GetProperty("instanceSelectorType").GetString());
    }

    [Fact]
    public async Task The_schema_has_eventId_as_primary_key_and_exactly_the_columns_of_the_view()
    {
        using var schema = JsonDocument.Parse(File.ReadAllText(Path.Combine(PinotDirectory, "user-events.schema.json")));
        var root = schema.RootElement;
        var pinotColumns = root.GetProperty("dimensionFieldSpecs").EnumerateArray()
            .Concat(root.GetProperty("dateTimeFieldSpecs").EnumerateArray())
            .Select(c => c.GetProperty("name").GetString()!)
            .ToList();

        await using var connection = new DuckDBConnection("Data Source=:memory:");
        await connection.OpenAsync();
        await AnalyticsSchema.EnsureAsync(connection, AnalyticsSchema.DuckDb, CancellationToken.None);
        await using var command = connection.CreateCommand();
        command.CommandText = "select * from \"user-events\" limit 0";
        await using var reader = await command.ExecuteReaderAsync();
        var viewColumns = Enumerable.Range(0, reader.FieldCount).Select(reader.GetName).ToList();

        Assert.Equal("user-events", root.GetProperty("schemaName").GetString());
        Assert.Equal(["eventId"], root.GetProperty("primaryKeyColumns").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(viewColumns, pinotColumns);
        var time = Assert.Single(root.GetProperty("dateTimeFieldSpecs").EnumerateArray());
        Assert.Equal("timestamp", time.GetProperty("name").GetString());
        Assert.Equal("1:MILLISECONDS:EPOCH", time.GetProperty("format").GetString());
    }

    private static string FindRepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "StreamingPipeline.slnx")))
            {
                return directory.FullName;
            }
        }
        throw new InvalidOperationException($"no StreamingPipeline.slnx above {AppContext.BaseDirectory}");
    }
}
