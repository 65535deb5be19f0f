using StreamingPipeline.Protocol;

namespace StreamingPipeline.Broker.Log;

/// <summary>
/// The outcome of <see cref="LogManager.CreateTopic"/>: the topic on success (with an empty id when only validated),
/// otherwise a CreateTopics error code and message.
/// </summary>
internal sealed record CreateTopicResult(ErrorCode Error, string? ErrorMessage, TopicInfo? Topic)
{
    /// <summary>True when the topic was created, or would be when only validating.</summary>
    public bool Succeeded => Error == ErrorCode.None;
}
