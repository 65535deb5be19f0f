using StreamingPipeline.Protocol;

namespace StreamingPipeline.Broker.Groups;

/// <summary>Whether one group was deleted: GroupIdNotFound, NonEmptyGroup while it has members, else None.</summary>
public sealed record DeleteGroupResult(string GroupId, ErrorCode Error);
