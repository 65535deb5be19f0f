using System.Collections.Concurrent;
using StreamingPipeline.Broker.Log;
using StreamingPipeline.Broker.Transactions;

namespace StreamingPipeline.Broker.Tests.Transactions;

/// <summary>One call of the coordinator into its marker writer.</summary>
internal sealed record MarkerCall(
    long ProducerId,
    short ProducerEpoch,
    bool Commit,
    IReadOnlySet<TopicPartition> Partitions,
    IReadOnlySet<string> GroupIds);

/// <summary>
/// Records the markers the coordinator writes. <see cref="BeforeWrite"/> lets a test fail or hold a write (a crash
/// before the markers); <see cref="AfterWrite"/> runs after the call is recorded (a crash after the markers).
/// </summary>
internal sealed class RecordingMarkerWriter : ITransactionMarkerWriter
{
    public ConcurrentQueue<MarkerCall> Calls { get; } = new();

    public Func<MarkerCall, CancellationToken, Task>? BeforeWrite { get; set; }

    public Func<MarkerCall, CancellationToken, Task>? AfterWrite { get; set; }

    public int Attempts => _attempts;

    private int _attempts;

    public async ValueTask WriteMarkersAsync(
        long producerId,
        short producerEpoch,
        bool commit,
        IReadOnlyCollection<TopicPartition> partitions,
        IReadOnlyCollection<string> groupIds,
        CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _attempts);
        var call = new MarkerCall(producerId, producerEpoch, commit, partitions.ToHashSet(), groupIds.ToHashSet());
        if (BeforeWrite is { } before)
        {
            await before(call, cancellationToken);
        }
        Calls.Enqueue(call);
        if (AfterWrite is { } after)
        {
            await after(call, cancellationToken);
        }
    }
}
