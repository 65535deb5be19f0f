using StreamingPipeline.Processing;
using StreamingPipeline.Processing.State;

namespace StreamingPipeline.Jobs.Dedup;

/// <summary>
/// Drops events whose eventId was already seen for the same user within the window (event time = record
/// timestamp); the first occurrence passes with its bytes untouched. One <see cref="DedupTask"/> per partition.
/// </summary>
/// <param name="window">The window and its slide.</param>
/// <param name="backend">Where each task keeps its state.</param>
public sealed class DedupJob(DedupWindow window, StateBackend backend) : IStreamJob
{
    /// <inheritdoc />
    public string Name => "dedup";

    /// <summary>The window the tasks keep.</summary>
    public DedupWindow Window => window;

    /// <summary>The state backend the tasks use.</summary>
    public StateBackend Backend => backend;

    /// <inheritdoc />
    public IPartitionTask CreateTask(TaskContext context) => new DedupTask(context, window, backend);
}
