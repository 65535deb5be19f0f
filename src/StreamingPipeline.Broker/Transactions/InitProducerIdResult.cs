using StreamingPipeline.Protocol;

namespace StreamingPipeline.Broker.Transactions;

/// <summary>The answer to InitProducerId: an error, or the producer id and epoch the producer must use.</summary>
internal readonly record struct InitProducerIdResult(ErrorCode Error, long ProducerId, short ProducerEpoch)
{
    /// <summary>A failed InitProducerId, with Kafka's -1 id and epoch.</summary>
    public static InitProducerIdResult Failed(ErrorCode error) => new(error, -1, -1);
}
