using Microsoft.Extensions.Logging;

namespace StreamingPipeline.Processing;

/// <summary>What a task is told about itself when it is created.</summary>
public sealed record TaskContext
{
    /// <summary>The input partition, which is also the output partition.</summary>
    public required int Partition { get; init; }

    /// <summary>The input topic.</summary>
    public required string InputTopic { get; init; }

    /// <summary>The output topic (same partition count as the input).</summary>
    public required string OutputTopic { get; init; }

    /// <summary>The dead-letter topic.</summary>
    public required string DlqTopic { get; init; }

    /// <summary>The consumer group the instance belongs to.</summary>
    public required string GroupId { get; init; }

    /// <summary>This task's own state directory (<c>&lt;state-dir&gt;/&lt;group&gt;/&lt;partition&gt;</c>); not created by the runtime.</summary>
    public required string StateDirectory { get; init; }

    /// <summary>Where the task logs.</summary>
    public required ILoggerFactory LoggerFactory { get; init; }
}
