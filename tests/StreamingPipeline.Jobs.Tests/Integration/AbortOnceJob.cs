using StreamingPipeline.Events;
using StreamingPipeline.Processing;

namespace StreamingPipeline.Jobs.Tests.Integration;

/// <summary>
/// The dedup job, except that the first time <paramref name="poisonId"/> passes, the task also emits a record the
/// producer refuses, so the transaction holding that first pass aborts.
/// </summary>
internal sealed class AbortOnceJob(IStreamJob inner, Guid poisonId) : IStreamJob
{
    private int _fired;

    public string Name => inner.Name;

    public bool Fired => Volatile.Read(ref _fired) == 1;

    public Guid PoisonId => poisonId;

    public IPartitionTask CreateTask(TaskContext context) => new AbortOnceTask(inner.CreateTask(context), this);

    private bool TakeShot() => Interlocked.CompareExchange(ref _fired, 1, 0) == 0;

    private sealed class AbortOnceTask(IPartitionTask inner, AbortOnceJob job) : IPartitionTask
    {
        public ValueTask RestoreAsync(IRestoreContext restore, CancellationToken cancellationToken) => inner.RestoreAsync(restore, cancellationToken);

        public void Process(InputRecord record, ITaskOutput output)
        {
            inner.Process(record, output);
            var parsed = UserEventParser.Parse(record.Value);
            if (parsed.IsValid && parsed.Event.EventId == job.PoisonId && job.TakeShot())
            {
                output.Emit(record.Key, new byte[2_000_000], record.Timestamp);
            }
        }

        public void OnCommitted(long? lastOutputOffset) => inner.OnCommitted(lastOutputOffset);

        public void OnAborted() => inner.OnAborted();

        public ValueTask DisposeAsync() => inner.DisposeAsync();
    }
}
