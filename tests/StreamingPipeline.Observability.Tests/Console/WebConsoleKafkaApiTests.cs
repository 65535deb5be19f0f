using System.Net;
using System.Text;
using System.Text.Json;
using Confluent.Kafka;
using StreamingPipeline.Observability.Console;
using StreamingPipeline.Processing;

namespace StreamingPipeline.Observability.Tests.Console;

/// <summary>The topic, message, group and DLQ API against the embedded broker over TCP.</summary>
public sealed class WebConsoleKafkaApiTests : IAsyncLifetime
{
    private TestBroker _broker = null!;
    private ConsoleServer _server = null!;

    public async Task InitializeAsync()
    {
        _broker = await TestBroker.StartAsync(b => b.WithTopic("events", 2).WithTopic("dead", 1));
        _server = await ConsoleServer.StartAsync(new WebConsoleOptions { BootstrapServers = _broker.BootstrapServers, DlqTopic = "dead" });
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        await _broker.DisposeAsync();
    }

    [Fact]
    public async Task Messages_come_newest_or_from_an_offset_with_text_json_and_binary_bytes()
    {
        using (var producer = KafkaClients.ByteProducer(_broker.BootstrapServers))
        {
            for (var i = 0; i < 6; i++)
            {
                await producer.ProduceAsync(new TopicPartition("events", 0), new Message<byte[], byte[]>
                {
                    Key = Encoding.UTF8.GetBytes($"k{i}"),
                    Value = Encoding.UTF8.GetBytes($"{{\"n\":{i}}}"),
                    Headers = [new Header("origin", Encoding.UTF8.GetBytes("test"))],
                });
            }
            await producer.ProduceAsync(new TopicPartition("events", 1), new Message<byte[], byte[]> { Key = null!, Value = [0xff, 0xfe, 0x00] });
        }

        var (_, newest) = await _server.GetJsonAsync("/api/topics/events/messages?partition=0&limit=2");
        var (_, fromOffset) = await _server.GetJsonAsync("/api/topics/events/messages?partition=0&start=offset&offset=1&limit=3");
        var (_, binary) = await _server.GetJsonAsync("/api/topics/events/messages?partition=1&start=beginning");
        var (_, filtered) = await _server.GetJsonAsync("/api/topics/events/messages?start=beginning&filter=%22n%22:4");
        var (_, offsets) = await _server.GetJsonAsync("/api/topics/events");

        Assert.Equal([4L, 5L], newest.EnumerateArray().Select(m => m.GetProperty("offset").GetInt64()));
        Assert.Equal([1L, 2L, 3L], fromOffset.EnumerateArray().Select(m => m.GetProperty("offset").GetInt64()));
        var first = fromOffset[0];
        Assert.Equal("k1", first.GetProperty("key").GetProperty("text").GetString());
        Assert.Equal("{\"n\":1}", first.GetProperty("value").GetProperty("text").GetString());
        Assert.Equal("utf8", first.GetProperty("value").GetProperty("encoding").GetString());
        Assert.Equal("origin", first.GetProperty("headers")[0].GetProperty("key").GetString());
        Assert.Equal("test", first.GetProperty("headers")[0].GetProperty("value").GetProperty("text").GetString());
        var bytes = binary.EnumerateArray().Single();
        Assert.Equal(JsonValueKind.Null, bytes.GetProperty("key").ValueKind);
        Assert.Equal("base64", bytes.GetProperty("value").GetProperty("encoding").GetString());
        Assert.Equal(Convert.ToBase64String([0xff, 0xfe, 0x00]), bytes.GetProperty("value").GetProperty("text").GetString());
        Assert.Equal([4L], filtered.EnumerateArray().Select(m => m.GetProperty("offset").GetInt64()));
        Assert.Equal(6, offsets.GetProperty("partitions")[0].GetProperty("endOffset").GetInt64());
        Assert.Equal(6, offsets.GetProperty("partitions")[0].GetProperty("lastStableOffset").GetInt64());
    }

    [Fact]
    public async Task An_open_transaction_is_visible_read_uncommitted_only()
    {
        using var producer = KafkaClients.TransactionalProducer(_broker.BootstrapServers, "console-open");
        producer.InitTransactions(TimeSpan.FromSeconds(30));
        producer.BeginTransaction();
        await producer.ProduceAsync(new TopicPartition("events", 1), new Message<string, string> { Key = "k", Value = "pending" });

        var (_, committed) = await _server.GetJsonAsync("/api/topics/events/messages?partition=1&start=beginning&isolation=read_committed");
        var (_, uncommitted) = await _server.GetJsonAsync("/api/topics/events/messages?partition=1&start=beginning&isolation=read_uncommitted");
        producer.AbortTransaction();

        Assert.Empty(committed.EnumerateArray());
        Assert.Equal(["pending"], uncommitted.EnumerateArray().Select(m => m.GetProperty("value").GetProperty("text").GetString()));
    }

    [Theory]
    [InlineData("/api/topics/events/messages?limit=0", "limit")]
    [InlineData("/api/topics/events/messages?limit=501", "limit")]
    [InlineData("/api/topics/events/messages?start=offset", "offset")]
    [InlineData("/api/topics/events/messages?start=time&time=yesterday", "time")]
    [InlineData("/api/topics/events/messages?isolation=dirty", "isolation")]
    [InlineData("/api/topics/events/messages?partition=x", "partition")]
    public async Task A_bad_browser_query_is_a_400_with_its_reason(string path, string named)
    {
        var (status, body) = await _server.GetJsonAsync(path);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains(named, body.GetProperty("error").GetString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/api/topics/nothing")]
    [InlineData("/api/topics/nothing/messages")]
    [InlineData("/api/groups/nobody")]
    public async Task What_does_not_exist_is_a_404_json_error(string path)
    {
        var (status, body) = await _server.GetJsonAsync(path);

        Assert.Equal(HttpStatusCode.NotFound, status);
        Assert.Equal("not_found", body.GetProperty("code").GetString());
    }

    [Fact]
    public async Task A_group_shows_its_members_assignment_committed_offsets_and_lag()
    {
        using (var producer = _broker.Producer())
        {
            for (var i = 0; i < 5; i++)
            {
                await producer.ProduceAsync(new TopicPartition("events", 0), new Message<string, string> { Key = "k", Value = "v" });
            }
        }
        using var consumer = _broker.Consumer("readers", c => c.ClientId = "reader-1");
        consumer.Subscribe("events");
        await Eventually.TrueAsync(() =>
        {
            consumer.Consume(TimeSpan.FromMilliseconds(100));
            return consumer.Assignment.Count == 2;
        }, "the member gets both partitions");
        consumer.Commit([new TopicPartitionOffset("events", 0, 2)]);

        var (_, groups) = await _server.GetJsonAsync("/api/groups");
        var (_, group) = await _server.GetJsonAsync("/api/groups/readers");

        Assert.Contains(groups.EnumerateArray(), g => g.GetProperty("groupId").GetString() == "readers");
        var member = group.GetProperty("members").EnumerateArray().Single();
        Assert.Equal("reader-1", member.GetProperty("clientId").GetString());
        Assert.Equal(2, member.GetProperty("assignment").GetArrayLength());
        var p0 = group.GetProperty("partitions").EnumerateArray().Single(p => p.GetProperty("partition").GetInt32() == 0);
        Assert.Equal(2, p0.GetProperty("committedOffset").GetInt64());
        Assert.Equal(3, p0.GetProperty("lag").GetInt64());
        Assert.Equal(3, group.GetProperty("totalLag").GetInt64());
        consumer.Close();
    }

    [Fact]
    public async Task The_dlq_shows_the_latest_rejections_newest_first_with_reason_source_and_original_bytes()
    {
        using (var producer = KafkaClients.ByteProducer(_broker.BootstrapServers))
        {
            for (var i = 0; i < 3; i++)
            {
                await producer.ProduceAsync("dead", new Message<byte[], byte[]>
                {
                    Key = null!,
                    Value = Encoding.UTF8.GetBytes($"not json {i}"),
                    Headers =
                    [
                        new Header(DeadLetterHeaders.Code, Encoding.UTF8.GetBytes("not_json")),
                        new Header(DeadLetterHeaders.Detail, Encoding.UTF8.GetBytes("the value is not JSON")),
                        new Header(DeadLetterHeaders.SourceTopic, Encoding.UTF8.GetBytes("input-user-events")),
                        new Header(DeadLetterHeaders.SourcePartition, Encoding.UTF8.GetBytes("7")),
                        new Header(DeadLetterHeaders.SourceOffset, Encoding.UTF8.GetBytes($"{100 + i}")),
                        new Header(DeadLetterHeaders.Time, Encoding.UTF8.GetBytes("1767225600000")),
                    ],
                });
            }
        }

        var (_, records) = await _server.GetJsonAsync("/api/dlq?limit=2");

        Assert.Equal([102L, 101L], records.EnumerateArray().Select(r => r.GetProperty("sourceOffset").GetInt64()));
        var latest = records[0];
        Assert.Equal("not_json", latest.GetProperty("reason").GetString());
        Assert.Equal("the value is not JSON", latest.GetProperty("detail").GetString());
        Assert.Equal("input-user-events", latest.GetProperty("sourceTopic").GetString());
        Assert.Equal(7, latest.GetProperty("sourcePartition").GetInt32());
        Assert.Equal(1767225600000, latest.GetProperty("deadLetteredAt").GetInt64());
        Assert.Equal("not json 2", latest.GetProperty("value").GetProperty("text").GetString());
    }
}
