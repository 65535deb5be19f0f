using StreamingPipeline.Protocol;

namespace StreamingPipeline.Broker.Transactions;

/// <summary>
/// The verdict of <see cref="ProducerStateManager.CheckAppend"/> on a batch before it is written: append it, refuse
/// it with <see cref="Error"/>, or acknowledge it as a duplicate with the offsets it was stored at the first time.
/// </summary>
internal readonly record struct ProducerAppendCheck
{
    /// <summary>None when the batch may be appended (or is a duplicate); otherwise the error for the Produce response.</summary>
    public ErrorCode Error { get; private init; }

    /// <summary>True when the batch repeats one of the producer's last five batches and must not be stored again.</summary>
    public bool IsDuplicate { get; private init; }

    /// <summary>For a duplicate, the base offset the batch was first stored at.</summary>
    public long DuplicateFirstOffset { get; private init; }

    /// <summary>For a duplicate, the last offset the batch was first stored at.</summary>
    public long DuplicateLastOffset { get; private init; }

    /// <summary>For a duplicate, the batch's max timestamp as it was stored (the log-append time on such topics).</summary>
    public long DuplicateTimestamp { get; private init; }

    /// <summary>
    /// True when the batch would open a transaction in this partition: the produce path must then ask the coordinator
    /// (<see cref="TransactionCoordinator.VerifyPartitionInTransaction"/>) before appending (KIP-890).
    /// </summary>
    public bool RequiresTransactionVerification { get; private init; }

    /// <summary>True when the batch may be written.</summary>
    public bool ShouldAppend => Error == ErrorCode.None && !IsDuplicate;

    internal static ProducerAppendCheck Append(bool requiresVerification) =>
        new() { RequiresTransactionVerification = requiresVerification };

    internal static ProducerAppendCheck Refuse(ErrorCode error) => new() { Error = error };

    internal static ProducerAppendCheck Duplicate(long firstOffset, long lastOffset, long timestamp) =>
        new() { IsDuplicate = true, DuplicateFirstOffset = firstOffset, DuplicateLastOffset = lastOffset, DuplicateTimestamp = timestamp };
}
