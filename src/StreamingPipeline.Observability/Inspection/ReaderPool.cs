using System.Diagnostics;
using Confluent.Kafka;

namespace StreamingPipeline.Observability.Inspection;

/// <summary>
/// Idle reading consumers kept for the next read at the same isolation level. Creating a librdkafka consumer costs a
/// connection, a metadata round trip and threads, and destroying one joins those threads; the console's message pages
/// paid both on every click (the newest 50 records took 0.5 s at load). A consumer is handed back unassigned: its next
/// assignment starts a new fetch version, so nothing fetched for the previous read (records, end-of-partition events)
/// reaches the next one.
/// </summary>
internal sealed class ReaderPool(KafkaConnection connection) : IDisposable
{
    /// <summary>At most this many idle consumers per isolation level: the console runs at most 4 reads at once.</summary>
    private const int MaxIdlePerIsolation = 4;

    /// <summary>An idle consumer older than this is closed, so a console nobody looks at holds no connections for long.</summary>
    private static readonly TimeSpan MaxIdleTime = TimeSpan.FromMinutes(1);

    private readonly List<Idle> _idle = [];
    private bool _disposed;

    /// <summary>An idle consumer at <paramref name="isolation"/>, or a new one.</summary>
    public IConsumer<byte[]?, byte[]?> Rent(ReadIsolation isolation)
    {
        IConsumer<byte[]?, byte[]?>? found = null;
        List<IConsumer<byte[]?, byte[]?>> expired;
        lock (_idle)
        {
            expired = TakeExpired();
            var at = _idle.FindLastIndex(i => i.Isolation == isolation);
            if (at >= 0)
            {
                found = _idle[at].Consumer;
                _idle.RemoveAt(at);
            }
        }
        CloseInBackground(expired);
        return found ?? new ConsumerBuilder<byte[]?, byte[]?>(connection.ReaderConfig(isolation))
            .SetLogHandler((_, _) => { })
            .SetErrorHandler((_, _) => { })
            .Build();
    }

    /// <summary>Takes <paramref name="consumer"/> back after a read: unassigned and kept, or closed when enough are idle.</summary>
    public void Return(IConsumer<byte[]?, byte[]?> consumer, ReadIsolation isolation)
    {
        try
        {
            consumer.Unassign();
        }
        catch (KafkaException)
        {
            CloseInBackground([consumer]);
            return;
        }
        lock (_idle)
        {
            if (!_disposed && _idle.Count(i => i.Isolation == isolation) < MaxIdlePerIsolation)
            {
                _idle.Add(new Idle(consumer, isolation, Stopwatch.GetTimestamp()));
                return;
            }
        }
        CloseInBackground([consumer]);
    }

    private List<IConsumer<byte[]?, byte[]?>> TakeExpired()
    {
        var expired = _idle.Where(i => Stopwatch.GetElapsedTime(i.ReturnedAt) > MaxIdleTime).ToList();
        foreach (var idle in expired)
        {
            _idle.Remove(idle);
        }
        return [.. expired.Select(i => i.Consumer)];
    }

    /// <summary>librdkafka's destroy joins the client's threads; keep that off the request that returned the consumer.</summary>
    private static void CloseInBackground(List<IConsumer<byte[]?, byte[]?>> consumers)
    {
        if (consumers.Count > 0)
        {
            _ = Task.Run(() => consumers.ForEach(c => c.Dispose()));
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        List<Idle> idle;
        lock (_idle)
        {
            _disposed = true;
            idle = [.. _idle];
            _idle.Clear();
        }
        foreach (var i in idle)
        {
            i.Consumer.Dispose();
        }
    }

    private sealed record Idle(IConsumer<byte[]?, byte[]?> Consumer, ReadIsolation Isolation, long ReturnedAt);
}
