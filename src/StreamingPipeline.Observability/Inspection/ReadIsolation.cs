using Confluent.Kafka;

namespace StreamingPipeline.Observability.Inspection;

/// <summary>Which records a read sees: every appended record, or only those of committed transactions (and non-transactional ones).</summary>
public enum ReadIsolation
{
    /// <summary>Every record up to the high watermark, open and aborted transactions included.</summary>
    ReadUncommitted,

    /// <summary>Records up to the last stable offset, aborted transactions left out.</summary>
    ReadCommitted,
}

/// <summary>Conversions of <see cref="ReadIsolation"/>.</summary>
internal static class ReadIsolationExtensions
{
    public static IsolationLevel ToKafka(this ReadIsolation isolation) =>
        isolation == ReadIsolation.ReadCommitted ? IsolationLevel.ReadCommitted : IsolationLevel.ReadUncommitted;
}
