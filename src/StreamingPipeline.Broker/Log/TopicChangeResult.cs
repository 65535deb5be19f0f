using StreamingPipeline.Protocol;

namespace StreamingPipeline.Broker.Log;

/// <summary>The outcome of changing an existing topic (its configs or partition count): an error code and message.</summary>
internal readonly record struct TopicChangeResult(ErrorCode Error, string? ErrorMessage)
{
    /// <summary>The change was made (or would be, when only validating).</summary>
    public static TopicChangeResult Success { get; } = new(ErrorCode.None, null);
}
