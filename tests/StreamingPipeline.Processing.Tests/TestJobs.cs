using System.Collections.Concurrent;
using System.Text;

namespace StreamingPipeline.Processing.Tests;

/// <summary>
/// A copy job with hooks: it throws on values starting with "throw", dead-letters values starting with "bad", can fail
/// one transaction on purpose, and records what the runtime told its tasks.
/// </summary>
internal sealed class ProbeJob : IStreamJob
{
    private int _oversizedLeft;

    public ProbeJob(int oversizedAtIndex = -1) => OversizedAtIndex = oversizedAtIndex;

    /// <summary>Emits one record too large for the producer at this input index, once: the transaction must abort.</summary>
    public int OversizedAtIndex { get; }

    public string Name => "probe";

    public ConcurrentQueue<string> Events { get; } = new();

    public ConcurrentDictionary<int, long> RestoredRecords { get; } = new();

    public IPartitionTask CreateTask(TaskContext context)
    {
        Events.Enqueue($"create {context.Partition}");
        return new ProbeTask(this, context.Partition);
    }

    private bool TakeOversized() => Interlocked.CompareExchange(ref _oversizedLeft, 1, 0) == 0;

    private sealed class ProbeTask(ProbeJob job, int partition) : IPartitionTask
    {
        public async ValueTask RestoreAsync(IRestoreContext restore, CancellationToken cancellationToken)
        {
            long count = 0;
            await foreach (var record in restore.ReadAsync(0, cancellationToken))
            {
                count++;
            }
            job.RestoredRecords[partition] = count;
            job.Events.Enqueue($"restore {partition} {count}");
        }

        public void Process(InputRecord record, ITaskOutput output)
        {
            var text = Encoding.UTF8.GetString(record.Value ?? []);
            if (text.StartsWith("throw", StringComparison.Ordinal))
            {
                output.Emit(record.Key, record.Value, record.Timestamp);
                throw new InvalidOperationException("boom " + text);
            }
            if (text.StartsWith("bad", StringComparison.Ordinal))
            {
                output.DeadLetter(record, "not_json", "cannot parse " + text);
                return;
            }
            if (job.OversizedAtIndex >= 0 && text.EndsWith($"-{job.OversizedAtIndex:D6}", StringComparison.Ordinal) && job.TakeOversized())
            {
                output.Emit(record.Key, new byte[2_000_000], record.Timestamp);
            }
            output.Emit(record.Key, record.Value, record.Timestamp, record.Headers);
        }

        public void OnCommitted(long? lastOutputOffset) => job.Events.Enqueue($"committed {partition} {lastOutputOffset}");

        public void OnAborted() => job.Events.Enqueue($"aborted {partition}");

        public ValueTask DisposeAsync()
        {
            job.Events.Enqueue($"dispose {partition}");
            return ValueTask.CompletedTask;
        }
    }
}
