namespace StreamingPipeline.Processing;

/// <summary>The headers of a dead-letter record; all values are UTF-8 text, numbers in decimal.</summary>
public static class DeadLetterHeaders
{
    /// <summary>Why: the parser's rejection code (e.g. <c>not_json</c>) or <see cref="ExceptionCode"/>.</summary>
    public const string Code = "dlq.error.code";

    /// <summary>A human-readable detail: the parser's message or the exception type and message.</summary>
    public const string Detail = "dlq.error.detail";

    /// <summary>The topic the record was read from.</summary>
    public const string SourceTopic = "dlq.source.topic";

    /// <summary>Its partition.</summary>
    public const string SourcePartition = "dlq.source.partition";

    /// <summary>Its offset.</summary>
    public const string SourceOffset = "dlq.source.offset";

    /// <summary>When it was dead-lettered, wall clock, Unix milliseconds.</summary>
    public const string Time = "dlq.time";

    /// <summary>The code of a record whose processing threw.</summary>
    public const string ExceptionCode = "exception";
}
