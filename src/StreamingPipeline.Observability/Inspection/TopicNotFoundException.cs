namespace StreamingPipeline.Observability.Inspection;

/// <summary>The topic (or the partition) named does not exist; inspecting it did not create it.</summary>
public sealed class TopicNotFoundException(string message) : InspectionException(message);
