using StreamingPipeline.Processing.State;

namespace StreamingPipeline.Processing;

/// <summary>
/// The processing of one input partition, in offset order, on one thread at a time. The runtime calls
/// <see cref="RestoreAsync"/> once, then <see cref="Process"/> per record, and after each transaction either
/// <see cref="OnCommitted"/> or <see cref="OnAborted"/>; after an abort it disposes the task and creates a new one.
/// </summary>
public interface IPartitionTask : IAsyncDisposable
{
    /// <summary>Brings local state to what is committed in Kafka; called once after assignment, before the first record.</summary>
    ValueTask RestoreAsync(IRestoreContext restore, CancellationToken cancellationToken);

    /// <summary>
    /// Handles one input record (read_committed), emitting zero or more outputs or dead letters through
    /// <paramref name="output"/>. Must not block on I/O. If it throws, what it emitted for this record is dropped and
    /// the record goes to the DLQ with the exception type; the task must then not have changed its state.
    /// </summary>
    void Process(InputRecord record, ITaskOutput output);

    /// <summary>
    /// The transaction holding everything since the last commit committed; <paramref name="lastOutputOffset"/> is the
    /// offset of the last record this task wrote to its output partition in it (null if none). Apply staged state here.
    /// </summary>
    void OnCommitted(long? lastOutputOffset);

    /// <summary>The transaction aborted or its outcome is unknown: drop staged state. The task is disposed next.</summary>
    void OnAborted();

    /// <summary>
    /// Called on the processing thread about once a second while no transaction is open (everything processed is
    /// committed): a task that defers work past its commits finishes it here, so an idle input does not leave it pending.
    /// </summary>
    void OnIdle()
    {
    }

    /// <summary>
    /// Sizes of the task's committed state, for the metrics; null when it keeps none. Called on the processing thread
    /// between batches, about once a second.
    /// </summary>
    StateStoreStats? GetStateStats() => null;
}
