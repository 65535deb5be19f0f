namespace StreamingPipeline.Protocol;

/// <summary>Thrown when bytes on the wire do not form a valid Kafka message; the connection that sent them is closed.</summary>
public sealed class ProtocolException(string message) : Exception(message);
