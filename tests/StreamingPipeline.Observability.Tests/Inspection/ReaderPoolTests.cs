using Confluent.Kafka;
using StreamingPipeline.Observability.Inspection;

namespace StreamingPipeline.Observability.Tests.Inspection;

/// <summary><see cref="ReaderPool"/>: a returned consumer is reused at its isolation level, unassigned.</summary>
public sealed class ReaderPoolTests
{
    [Fact]
    public async Task A_returned_consumer_comes_back_unassigned_for_the_same_isolation_level_only()
    {
        await using var broker = await TestBroker.StartAsync(b => b.WithTopic("events", 2));
        using var pool = new ReaderPool(new KafkaConnection(broker.BootstrapServers));

        var first = pool.Rent(ReadIsolation.ReadCommitted);
        first.Assign(new TopicPartitionOffset("events", 1, 0));
        pool.Return(first, ReadIsolation.ReadCommitted);
        var uncommitted = pool.Rent(ReadIsolation.ReadUncommitted);
        var again = pool.Rent(ReadIsolation.ReadCommitted);
        var another = pool.Rent(ReadIsolation.ReadCommitted);

        Assert.Same(first, again);
        Assert.Empty(again.Assignment);
        Assert.NotSame(first, uncommitted);
        Assert.NotSame(first, another);
        pool.Return(again, ReadIsolation.ReadCommitted);
        pool.Return(another, ReadIsolation.ReadCommitted);
        pool.Return(uncommitted, ReadIsolation.ReadUncommitted);
    }
}
