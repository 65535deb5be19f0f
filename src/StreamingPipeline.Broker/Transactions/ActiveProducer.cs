namespace StreamingPipeline.Broker.Transactions;

/// <summary>One producer as a partition remembers it, as DescribeProducers reports it.</summary>
internal readonly record struct ActiveProducer(
    long ProducerId,
    short ProducerEpoch,
    int LastSequence,
    long LastTimestamp,
    int CoordinatorEpoch,
    long CurrentTxnStartOffset);
