namespace StreamingPipeline.Observability.Inspection;

/// <summary>The consumer group named has no members and no committed offsets.</summary>
public sealed class GroupNotFoundException(string groupId) : InspectionException($"consumer group {groupId} does not exist (no members, no committed offsets).")
{
    /// <summary>The group asked for.</summary>
    public string GroupId { get; } = groupId;
}
