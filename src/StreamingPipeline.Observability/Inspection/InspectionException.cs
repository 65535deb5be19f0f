namespace StreamingPipeline.Observability.Inspection;

/// <summary>An inspection request the cluster cannot answer as asked; the message is one line meant for a user.</summary>
public class InspectionException(string message, Exception? innerException = null) : Exception(message, innerException);
