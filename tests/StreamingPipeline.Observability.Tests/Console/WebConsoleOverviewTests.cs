using System.Net;
using System.Text.Json;
using Confluent.Kafka;
using StreamingPipeline.Observability.Console;

namespace StreamingPipeline.Observability.Tests.Console;

/// <summary>/api/overview against the embedded broker over TCP: end offsets, committed offsets and lag; errors as JSON.</summary>
public sealed class WebConsoleOverviewTests
{
    [Fact]
    public async Task The_overview_reports_each_partitions_end_offset_and_each_groups_lag()
    {
        await using var broker = await TestBroker.StartAsync(b => b.WithTopic("orders", 3));
        using (var producer = broker.Producer())
        {
            for (var partition = 0; partition < 3; partition++)
            {
                for (var i = 0; i < (partition + 1) * 2; i++)
                {
                    await producer.ProduceAsync(new TopicPartition("orders", partition), new Message<string, string> { Key = "k", Value = "v" });
                }
            }
        }
        using (var consumer = broker.Consumer("orders-reader"))
        {
            consumer.Commit([new TopicPartitionOffset("orders", 0, 1), new TopicPartitionOffset("orders", 1, 4)]);
        }
        await using var server = await ConsoleServer.StartAsync(new WebConsoleOptions { BootstrapServers = broker.BootstrapServers });

        var (status, body) = await server.GetJsonAsync("/api/overview");

        Assert.Equal(HttpStatusCode.OK, status);
        var orders = body.GetProperty("topics").EnumerateArray().Single(t => t.GetProperty("name").GetString() == "orders");
        Assert.Equal(12, orders.GetProperty("end").GetInt64());
        Assert.Equal([2L, 4L, 6L], orders.GetProperty("partitions").EnumerateArray().Select(p => p.GetProperty("end").GetInt64()));
        var group = body.GetProperty("groups").EnumerateArray().Single(g => g.GetProperty("group").GetString() == "orders-reader");
        Assert.Equal(1, group.GetProperty("lag").GetInt64());
        Assert.Equal(["orders/0 1/2 lag 1", "orders/1 4/4 lag 0"], group.GetProperty("partitions").EnumerateArray().Select(Describe));
        Assert.True(body.GetProperty("timeMs").GetInt64() > 0);
    }

    [Fact]
    public async Task Without_bootstrap_servers_the_kafka_api_says_kafka_is_not_configured()
    {
        await using var server = await ConsoleServer.StartAsync(new WebConsoleOptions());

        var (status, body) = await server.GetJsonAsync("/api/overview");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        Assert.Equal("kafka_not_configured", body.GetProperty("code").GetString());
        Assert.Contains("--bootstrap-servers", body.GetProperty("error").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unreachable_cluster_answers_a_one_line_json_error_not_a_stack_trace()
    {
        var nobody = $"127.0.0.1:{LoopbackPort.Free()}";
        await using var server = await ConsoleServer.StartAsync(new WebConsoleOptions { BootstrapServers = nobody, RequestTimeout = TimeSpan.FromSeconds(2) });

        var (status, body) = await server.GetJsonAsync("/api/overview");

        Assert.Equal(HttpStatusCode.BadGateway, status);
        Assert.Equal("kafka_error", body.GetProperty("code").GetString());
        var error = body.GetProperty("error").GetString()!;
        Assert.Contains(nobody, error, StringComparison.Ordinal);
        Assert.DoesNotContain("\n", error, StringComparison.Ordinal);
        Assert.DoesNotContain(" at ", error, StringComparison.Ordinal);
    }

    private static string Describe(JsonElement p) =>
        $"{p.GetProperty("topic").GetString()}/{p.GetProperty("partition").GetInt32()} {p.GetProperty("committed").GetInt64()}/{p.GetProperty("end").GetInt64()} lag {p.GetProperty("lag").GetInt64()}";
}
