namespace StreamingPipeline.Broker.Groups;

/// <summary>The names Kafka uses for group states in ListGroups and DescribeGroups.</summary>
internal static class GroupStateNames
{
    /// <summary>The state as Kafka spells it on the wire, e.g. <c>CompletingRebalance</c>.</summary>
    public static string ToKafkaName(this GroupState state) => state switch
    {
        GroupState.Empty => "Empty",
        GroupState.PreparingRebalance => "PreparingRebalance",
        GroupState.CompletingRebalance => "CompletingRebalance",
        GroupState.Stable => "Stable",
        GroupState.Dead => "Dead",
        _ => throw new ArgumentOutOfRangeException(nameof(state), state, null),
    };

    /// <summary>Parses a state name from a ListGroups states filter; Kafka compares them case-insensitively.</summary>
    public static bool TryParse(string name, out GroupState state)
    {
        foreach (var candidate in Enum.GetValues<GroupState>())
        {
            if (string.Equals(candidate.ToKafkaName(), name, StringComparison.OrdinalIgnoreCase))
            {
                state = candidate;
                return true;
            }
        }
        state = default;
        return false;
    }
}
