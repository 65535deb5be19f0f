namespace StreamingPipeline.Broker.Groups;

/// <summary>A protocol a member supports, with the member's own copy of its metadata.</summary>
internal readonly record struct MemberProtocol(string Name, byte[] Metadata);
