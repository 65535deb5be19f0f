namespace StreamingPipeline.Processing;

/// <summary>The job cannot start as configured (a topic is missing, partition counts differ); the message is one line.</summary>
public sealed class ProcessingConfigurationException(string message) : Exception(message);
