using System.Net;
using Confluent.Kafka;
using StreamingPipeline.Observability.Metrics;

namespace StreamingPipeline.Observability.Tests.Metrics;

/// <summary>The broker's metrics follow real client traffic over TCP.</summary>
public sealed class BrokerMetricsTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Requests_bytes_offsets_and_open_transactions_follow_the_traffic()
    {
        await using var broker = await TestBroker.StartAsync(b => b.WithTopic("t", 2));
        var metrics = new PipelineMetrics();
        metrics.AddBroker(broker.Broker);
        metrics.SetStatus(ComponentNames.Broker, ComponentStatus.Running);
        await using var server = await MetricsServer.StartAsync(metrics, new IPEndPoint(IPAddress.Loopback, 0), null, null, CancellationToken.None);
        using var scraper = new Scraper(server.Url);

        using (var producer = broker.Producer())
        {
            for (var i = 0; i < 10; i++)
            {
                producer.Produce(new TopicPartition("t", 0), new Message<string, string> { Key = "k", Value = "v" + i });
            }
            producer.Flush(Timeout);
        }
        using var transactional = KafkaClients.TransactionalProducer(broker.BootstrapServers, "metrics-tx");
        transactional.InitTransactions(Timeout);
        transactional.BeginTransaction();
        for (var i = 0; i < 3; i++)
        {
            transactional.Produce(new TopicPartition("t", 1), new Message<string, string> { Key = "k", Value = "tx" + i });
        }
        transactional.Flush(Timeout);

        var text = await scraper.ScrapeAsync();
        Assert.Equal(10, text.Value("broker_log_end_offset", ("topic", "t"), ("partition", "0")));
        Assert.Equal(10, text.Value("broker_last_stable_offset", ("topic", "t"), ("partition", "0")));
        Assert.Equal(3, text.Value("broker_log_end_offset", ("topic", "t"), ("partition", "1")));
        // The open transaction holds the last stable offset at its first record.
        Assert.Equal(0, text.Value("broker_last_stable_offset", ("topic", "t"), ("partition", "1")));
        Assert.Equal(1, text.Value("broker_open_transactions"));
        var produces = text.Value("broker_requests_total", ("api", "Produce"), ("error_code", "NONE"));
        Assert.True(produces >= 2, $"{produces} produce requests counted");
        Assert.Equal(text.Sum("broker_requests_total", ("api", "Produce")), text.Value("broker_request_duration_seconds_count", ("api", "Produce")));
        Assert.True(text.Value("broker_requests_total", ("api", "InitProducerId"), ("error_code", "NONE")) >= 1);
        Assert.True(text.Value("broker_bytes_in_total") > 0);
        Assert.True(text.Value("broker_bytes_out_total") > 0);
        Assert.True(text.Value("broker_connections") >= 1);
        Assert.Equal("histogram", text.FamilyTypes["broker_request_duration_seconds"]);
        Assert.Equal(1, text.Value("pipeline_component_up", ("component", "broker")));

        transactional.CommitTransaction(Timeout);
        // Commit marker written: the offsets move past it and nothing is open.
        text = await Eventually.WaitAsync(() =>
        {
            var t = scraper.ScrapeAsync().GetAwaiter().GetResult();
            return t.Value("broker_open_transactions") == 0 && t.Value("broker_last_stable_offset", ("topic", "t"), ("partition", "1")) == 4 ? t : null;
        }, "the transaction's commit marker is written", Timeout);
        Assert.Equal(4, text.Value("broker_log_end_offset", ("topic", "t"), ("partition", "1")));

        // An error nested in a response's topics is counted by its Kafka name.
        using (var admin = KafkaClients.Admin(broker.BootstrapServers))
        {
            await Assert.ThrowsAnyAsync<KafkaException>(() => admin.DeleteTopicsAsync(["no-such-topic"]));
        }
        text = await scraper.ScrapeAsync();
        Assert.Equal(1, text.Value("broker_requests_total", ("api", "DeleteTopics"), ("error_code", "UNKNOWN_TOPIC_OR_PARTITION")));
    }

    [Theory]
    [InlineData(0, "NONE")]
    [InlineData(3, "UNKNOWN_TOPIC_OR_PARTITION")]
    [InlineData(47, "INVALID_PRODUCER_EPOCH")]
    [InlineData(-1, "UNKNOWN_SERVER_ERROR")]
    [InlineData(9999, "9999")]
    public void Error_codes_are_labelled_with_their_Kafka_names(short code, string name) =>
        Assert.Equal(name, BrokerCollector.ErrorName(code));
}
