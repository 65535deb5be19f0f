namespace StreamingPipeline.Broker.Groups;

/// <summary>The leader's assignment for one member, opaque to the coordinator.</summary>
public sealed record SyncGroupAssignment(string MemberId, ReadOnlyMemory<byte> Assignment);
