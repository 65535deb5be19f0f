namespace StreamingPipeline.Broker.Transactions;

/// <summary>What is remembered of one of a producer's recent batches to recognise a retry of it.</summary>
internal readonly record struct BatchMetadata(int LastSequence, long LastOffset, int OffsetDelta, long Timestamp)
{
    public long FirstOffset => LastOffset - OffsetDelta;

    /// <summary>The batch's first sequence, wrapping below zero to int.MaxValue as Kafka's sequences do.</summary>
    public int FirstSequence => LastSequence >= OffsetDelta
        ? LastSequence - OffsetDelta
        : int.MaxValue - (OffsetDelta - LastSequence) + 1;
}
