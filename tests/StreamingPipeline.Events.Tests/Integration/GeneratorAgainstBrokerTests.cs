using System.Diagnostics;
using Microsoft.Extensions.Logging.Abstractions;
using StreamingPipeline.Broker;
using StreamingPipeline.Cli;
using StreamingPipeline.Events.Generation;
using StreamingPipeline.Events.Producing;
using StreamingPipeline.Events.Tests.Cli;

namespace StreamingPipeline.Events.Tests.Integration;

/// <summary>The generator against the embedded broker over TCP, read back with a real Kafka consumer.</summary>
[Collection(ConsoleCollection.Name)]
public sealed class GeneratorAgainstBrokerTests : IDisposable
{
    private const string Topic = "input-user-events";
    private const int Partitions = 8;
    private static readonly TimeSpan ReadTimeout = TimeSpan.FromSeconds(60);
    private readonly string _directory = Directory.CreateTempSubdirectory("generator-broker-tests-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task ASeededStreamIsStoredExactlyAsTheSummarySays()
    {
        await using var broker = await EmbeddedBroker.CreateBuilder().WithTopic(Topic, partitions: Partitions).StartAsync(CancellationToken.None);
        var summaryPath = Path.Combine(_directory, "summary.json");
        var truthPath = Path.Combine(_directory, "truth.bin");
        var options = Options(seed: 42, count: 20_000) with { DuplicateShare = 0.05, MalformedShare = 0.01 };

        var outcome = await ProduceAsync(broker.BootstrapServers, Topic, options, summaryPath, truthPath);
        Assert.True(outcome.Succeeded, outcome.Error);
        var summary = await GeneratorSummary.ReadAsync(summaryPath, CancellationToken.None);
        var records = BrokerTopicReader.ReadAll(broker.BootstrapServers, Topic, Partitions, ReadTimeout);

        Assert.Equal(summary.TotalRecords, records.Count);
        Assert.Equal(summary.TotalRecords, summary.Acknowledged);
        foreach (var partition in summary.PerPartition)
        {
            Assert.Equal(partition.Records, records.Count(r => r.Partition == partition.Partition));
        }
        // Keying: the broker holds each record where our murmur2 prediction said, so librdkafka agrees with it.
        Assert.All(records, r => Assert.Equal(KafkaPartitioner.Partition(r.Key, Partitions), r.Partition));

        var seen = new HashSet<Guid>();
        long duplicates = 0;
        var malformedByReason = new Dictionary<string, long>();
        foreach (var record in records.OrderBy(r => r.Partition).ThenBy(r => r.Offset))
        {
            var parsed = UserEventParser.Parse(record.Value);
            if (!parsed.IsValid)
            {
                malformedByReason[parsed.Code] = malformedByReason.GetValueOrDefault(parsed.Code) + 1;
                continue;
            }
            Assert.Equal(parsed.Event.Timestamp, record.Timestamp);
            Assert.Equal(parsed.Event.UserId, System.Text.Encoding.UTF8.GetString(record.Key));
            if (!seen.Add(parsed.Event.EventId))
            {
                duplicates++;
            }
        }
        Assert.Equal(summary.Duplicates, duplicates);
        Assert.Equal(summary.DistinctEventIds, seen.Count);
        Assert.Equal(summary.Malformed, malformedByReason.Values.Sum());
        Assert.All(summary.MalformedByReason.Where(kv => kv.Value > 0), kv => Assert.Equal(kv.Value, malformedByReason[kv.Key]));
        Assert.InRange(duplicates / (double)records.Count, 0.045, 0.055);
        Assert.Equal(seen, TruthFile.Read(truthPath).Select(t => t.EventId).ToHashSet());
    }

    [Fact]
    public async Task TheSameSeedStoresAByteIdenticalStreamInEveryPartition()
    {
        await using var broker = await EmbeddedBroker.CreateBuilder()
            .WithTopic("first", partitions: Partitions)
            .WithTopic("second", partitions: Partitions)
            .StartAsync(CancellationToken.None);
        var options = Options(seed: 7, count: 5_000) with { DuplicateShare = 0.1, MalformedShare = 0.01 };

        Assert.True((await ProduceAsync(broker.BootstrapServers, "first", options)).Succeeded);
        Assert.True((await ProduceAsync(broker.BootstrapServers, "second", options)).Succeeded);

        var first = BrokerTopicReader.ReadAll(broker.BootstrapServers, "first", Partitions, ReadTimeout);
        var second = BrokerTopicReader.ReadAll(broker.BootstrapServers, "second", Partitions, ReadTimeout);
        for (var p = 0; p < Partitions; p++)
        {
            var a = first.Where(r => r.Partition == p).OrderBy(r => r.Offset).ToList();
            var b = second.Where(r => r.Partition == p).OrderBy(r => r.Offset).ToList();
            Assert.Equal(a.Count, b.Count);
            for (var i = 0; i < a.Count; i++)
            {
                Assert.Equal(a[i].Key, b[i].Key);
                Assert.Equal(a[i].Value, b[i].Value);
                Assert.Equal(a[i].Timestamp, b[i].Timestamp);
            }
        }
    }

    [Fact]
    public async Task TheTargetRateIsHeldWithinFivePercent()
    {
        await using var broker = await EmbeddedBroker.CreateBuilder().WithTopic(Topic, partitions: Partitions).StartAsync(CancellationToken.None);
        var options = Options(seed: 1, count: 0) with { MaxRecords = null, EventsPerSecond = 2000 };
        var settings = Settings(broker.BootstrapServers, Topic) with { Rate = 2000, Duration = TimeSpan.FromSeconds(4) };

        var outcome = await new EventProducer(options, settings, TimeProvider.System, NullLogger.Instance).RunAsync(CancellationToken.None);

        Assert.True(outcome.Succeeded, outcome.Error);
        // Over the run: records sent divided by the sending time (the run's wall time minus the final drain).
        Assert.InRange(outcome.Summary.TotalRecords, 2000 * 4 * 0.95, 2000 * 4 * 1.05);
        Assert.InRange(outcome.Summary.AchievedRate, 2000 * 0.95, 2000 * 1.05);
    }

    [Fact]
    public async Task ABrokerThatDoesNotComeBackStopsTheRunWithAClearErrorAfterTheDeliveryTimeout()
    {
        var broker = await EmbeddedBroker.CreateBuilder().WithTopic(Topic, partitions: Partitions).StartAsync(CancellationToken.None);
        var options = Options(seed: 4, count: 1_000_000) with { EventsPerSecond = 5000 };
        var settings = Settings(broker.BootstrapServers, Topic) with
        {
            Rate = 5000,
            MaxInFlight = 2_000,
            DeliveryTimeout = TimeSpan.FromSeconds(3),
            SummaryPath = Path.Combine(_directory, "failed-summary.json"),
        };
        var producer = new EventProducer(options, settings, TimeProvider.System, NullLogger.Instance);
        var run = producer.RunAsync(CancellationToken.None);

        await WaitUntilAsync(() => producer.Progress.Acknowledged > 2_000, TimeSpan.FromSeconds(30));
        await broker.DisposeAsync();
        var stopwatch = Stopwatch.StartNew();
        var maxInFlight = 0L;
        while (!run.IsCompleted)
        {
            Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(30), "the run did not give up");
            maxInFlight = Math.Max(maxInFlight, producer.Progress.InFlight);
            await Task.Delay(10);
        }
        var outcome = await run;

        Assert.False(outcome.Succeeded);
        Assert.Contains("not acknowledged within 3s", outcome.Error, StringComparison.Ordinal);
        Assert.InRange(maxInFlight, 0, settings.MaxInFlight);
        Assert.True(producer.Progress.BrokerErrors > 0);
        var summary = await GeneratorSummary.ReadAsync(settings.SummaryPath!, CancellationToken.None);
        Assert.Equal(outcome.Error, summary.Error);
        Assert.True(summary.NotAcknowledged > 0);
        Assert.Equal(summary.TotalRecords, summary.Acknowledged + summary.NotAcknowledged);
    }

    [Fact]
    public async Task TheProduceCommandWritesItsSummary()
    {
        await using var broker = await EmbeddedBroker.CreateBuilder().WithTopic(Topic, partitions: Partitions).StartAsync(CancellationToken.None);
        var summaryPath = Path.Combine(_directory, "cli-summary.json");
        var originalOut = Console.Out;
        Console.SetOut(TextWriter.Null);
        int exitCode;
        try
        {
            exitCode = await PipelineCli.RunAsync(
            [
                "produce", "-b", broker.BootstrapServers, "--count", "2000", "--rate", "-1", "--seed", "5",
                "--duplicates", "0.05", "--malformed", "0.01", "--summary-json", summaryPath, "-q",
            ]);
        }
        finally
        {
            Console.SetOut(originalOut);
        }

        Assert.Equal(0, exitCode);
        var summary = await GeneratorSummary.ReadAsync(summaryPath, CancellationToken.None);
        Assert.Equal(2000, summary.TotalRecords);
        Assert.Equal(2000, summary.Acknowledged);
        Assert.Equal(5, summary.Seed);
    }

    internal static GeneratorOptions Options(long seed, long count) => new()
    {
        Seed = seed,
        EventTimeStart = 1_764_000_000_000,
        MaxRecords = count,
        Users = 5_000,
    };

    internal static ProducerSettings Settings(string bootstrap, string topic) => new()
    {
        BootstrapServers = bootstrap,
        Topic = topic,
        Rate = -1,
        DeliveryTimeout = TimeSpan.FromSeconds(30),
    };

    private static Task<ProduceOutcome> ProduceAsync(string bootstrap, string topic, GeneratorOptions options, string? summaryPath = null, string? truthPath = null) =>
        new EventProducer(options, Settings(bootstrap, topic) with { SummaryPath = summaryPath, TruthFilePath = truthPath }, TimeProvider.System, NullLogger.Instance)
            .RunAsync(CancellationToken.None);

    internal static async Task WaitUntilAsync(Func<bool> condition, TimeSpan timeout)
    {
        var stopwatch = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(stopwatch.Elapsed < timeout, "condition not reached in time");
            await Task.Delay(20);
        }
    }
}
