namespace StreamingPipeline.Broker.Groups;

/// <summary>One assignment protocol a joining member supports (e.g. <c>range</c>), with its opaque subscription metadata.</summary>
/// <param name="Name">The protocol name, in the member's order of preference within the request.</param>
/// <param name="Metadata">The member's metadata for this protocol; the coordinator copies it.</param>
public sealed record JoinGroupProtocol(string Name, ReadOnlyMemory<byte> Metadata);
