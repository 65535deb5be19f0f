namespace StreamingPipeline.Protocol;

/// <summary>A message (or a struct inside one) that can write itself in a given protocol version.</summary>
public interface IKafkaMessage
{
    /// <summary>Writes this message in <paramref name="version"/>'s encoding.</summary>
    void Write(ProtocolWriter writer, short version);
}

/// <summary>A message that can also be read; implemented by every generated type.</summary>
public interface IKafkaMessage<TSelf> : IKafkaMessage
    where TSelf : IKafkaMessage<TSelf>
{
    /// <summary>Reads a message encoded in <paramref name="version"/>.</summary>
    static abstract TSelf Read(ProtocolReader reader, short version);
}

/// <summary>A top-level request or response message with its API key and version range from the spec.</summary>
public interface IApiMessage<TSelf> : IKafkaMessage<TSelf>
    where TSelf : IApiMessage<TSelf>
{
    /// <summary>The API key shared by the request and its response.</summary>
    static abstract ApiKey ApiKey { get; }

    /// <summary>The lowest version the spec defines.</summary>
    static abstract short LowestVersion { get; }

    /// <summary>The highest version the spec defines.</summary>
    static abstract short HighestVersion { get; }

    /// <summary>Whether <paramref name="version"/> uses the flexible encoding (compact types, tagged fields).</summary>
    static abstract bool IsFlexible(short version);
}

/// <summary>A tagged field this code does not know, kept so it survives a read/write round trip.</summary>
public sealed record RawTaggedField(uint Tag, byte[] Data);
