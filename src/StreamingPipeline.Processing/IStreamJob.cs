namespace StreamingPipeline.Processing;

/// <summary>A job on the runtime (forward, dedup): it creates one task per assigned input partition.</summary>
public interface IStreamJob
{
    /// <summary>A short name for logs and the status line.</summary>
    string Name { get; }

    /// <summary>Creates the task of one assigned input partition; the runtime restores it before its first record.</summary>
    IPartitionTask CreateTask(TaskContext context);
}
