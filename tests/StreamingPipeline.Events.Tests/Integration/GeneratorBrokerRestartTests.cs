using Microsoft.Extensions.Logging.Abstractions;
using StreamingPipeline.Broker;
using StreamingPipeline.Events.Producing;
using StreamingPipeline.Events.Tests.Cli;

namespace StreamingPipeline.Events.Tests.Integration;

/// <summary>
/// The broker stopped and started again mid-run. Run with idempotence off, this test catches the retried batches
/// the broker had already stored as extra records; with the generator's idempotent producer it must find none.
/// </summary>
[Collection(ConsoleCollection.Name)]
public sealed class GeneratorBrokerRestartTests : IDisposable
{
    private const string Topic = "input-user-events";
    private const int Partitions = 8;
    private readonly string _directory = Directory.CreateTempSubdirectory("generator-restart-tests-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task ABrokerRestartMidRunLosesAndDuplicatesNothing()
    {
        var dataDirectory = Path.Combine(_directory, "broker-data");
        var broker = await EmbeddedBroker.CreateBuilder()
            .WithTopic(Topic, partitions: Partitions)
            .WithDataDirectory(dataDirectory)
            .StartAsync(CancellationToken.None);
        var bootstrap = broker.BootstrapServers;
        var port = int.Parse(bootstrap[(bootstrap.LastIndexOf(':') + 1)..], System.Globalization.CultureInfo.InvariantCulture);
        var options = GeneratorAgainstBrokerTests.Options(seed: 3, count: 30_000) with { DuplicateShare = 0.05, MalformedShare = 0.005, EventsPerSecond = 5000 };
        var settings = GeneratorAgainstBrokerTests.Settings(bootstrap, Topic) with
        {
            Rate = 5000,
            DeliveryTimeout = TimeSpan.FromSeconds(60),
        };
        var producer = new EventProducer(options, settings, TimeProvider.System, NullLogger.Instance);
        var run = producer.RunAsync(CancellationToken.None);
        try
        {
            await GeneratorAgainstBrokerTests.WaitUntilAsync(() => producer.Progress.Acknowledged > 5_000, TimeSpan.FromSeconds(30));
            await broker.DisposeAsync();

            // While the broker is gone nothing is acknowledged, the client reports it, and the run keeps going.
            await GeneratorAgainstBrokerTests.WaitUntilAsync(() => producer.Progress.BrokerErrors > 0, TimeSpan.FromSeconds(30));
            var stalledAt = producer.Progress.Acknowledged;
            await Task.Delay(TimeSpan.FromSeconds(1));
            Assert.Equal(stalledAt, producer.Progress.Acknowledged);
            Assert.False(run.IsCompleted);
            // Back-pressure: the generator never holds more than its in-flight bound.
            Assert.InRange(producer.Progress.InFlight, 0, settings.MaxInFlight);

            broker = await EmbeddedBroker.CreateBuilder()
                .WithTopic(Topic, partitions: Partitions)
                .WithDataDirectory(dataDirectory)
                .WithPort(port)
                .StartAsync(CancellationToken.None);
            var outcome = await run;

            Assert.True(outcome.Succeeded, outcome.Error);
            var records = BrokerTopicReader.ReadAll(broker.BootstrapServers, Topic, Partitions, TimeSpan.FromSeconds(60));
            Assert.Equal(outcome.Summary.TotalRecords, records.Count);
            foreach (var partition in outcome.Summary.PerPartition)
            {
                Assert.Equal(partition.Records, records.Count(r => r.Partition == partition.Partition));
            }
            var valid = records.Select(r => UserEventParser.Parse(r.Value)).Where(p => p.IsValid).Select(p => p.Event.EventId).ToList();
            Assert.Equal(outcome.Summary.DistinctEventIds, valid.Distinct().Count());
            Assert.Equal(outcome.Summary.Duplicates, valid.Count - valid.Distinct().Count());
        }
        finally
        {
            await broker.DisposeAsync();
        }
    }
}
