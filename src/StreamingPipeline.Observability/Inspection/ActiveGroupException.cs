namespace StreamingPipeline.Observability.Inspection;

/// <summary>The group's offsets cannot be reset while it has members, as Kafka's kafka-consumer-groups refuses too.</summary>
public sealed class ActiveGroupException(string groupId, string state, int members)
    : InspectionException($"consumer group {groupId} has {members} active member{(members == 1 ? "" : "s")} (state {state}); offsets can only be reset when it is empty: stop its consumers first.")
{
    /// <summary>The group asked for.</summary>
    public string GroupId { get; } = groupId;
}
