using StreamingPipeline.Processing;

namespace StreamingPipeline.Jobs.Forward;

/// <summary>Copies every input record to the same partition of the output, exactly once: the baseline of the runtime's cost.</summary>
public sealed class ForwardJob : IStreamJob
{
    /// <inheritdoc />
    public string Name => "forward";

    /// <inheritdoc />
    public IPartitionTask CreateTask(TaskContext context) => new ForwardTask();

    /// <summary>A stateless copy: key, value, timestamp and headers pass unchanged.</summary>
    private sealed class ForwardTask : IPartitionTask
    {
        public ValueTask RestoreAsync(IRestoreContext restore, CancellationToken cancellationToken) => ValueTask.CompletedTask;

        public void Process(InputRecord record, ITaskOutput output) => output.Emit(record.Key, record.Value, record.Timestamp, record.Headers);

        public void OnCommitted(long? lastOutputOffset)
        {
        }

        public void OnAborted()
        {
        }

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
