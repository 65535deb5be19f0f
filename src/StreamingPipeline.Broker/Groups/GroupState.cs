namespace StreamingPipeline.Broker.Groups;

/// <summary>The states of a consumer group under Kafka's classic group protocol.</summary>
internal enum GroupState
{
    /// <summary>No members; the group may still hold committed offsets.</summary>
    Empty,

    /// <summary>A rebalance started; the coordinator waits for members to (re)join.</summary>
    PreparingRebalance,

    /// <summary>The join phase is over; the coordinator waits for the leader's assignment (Kafka's AwaitingSync).</summary>
    CompletingRebalance,

    /// <summary>Every member has its assignment for the current generation.</summary>
    Stable,

    /// <summary>The group was deleted or the coordinator shut down; nothing more happens to it.</summary>
    Dead,
}
