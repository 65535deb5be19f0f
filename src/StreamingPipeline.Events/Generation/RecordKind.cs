namespace StreamingPipeline.Events.Generation;

/// <summary>What a generated record is.</summary>
public enum RecordKind : byte
{
    /// <summary>A new event, the first time its eventId is sent.</summary>
    Event,

    /// <summary>An exact re-send of an earlier event: same key, value and record timestamp.</summary>
    Duplicate,

    /// <summary>A record broken in one of the ways <see cref="UserEventParser"/> rejects.</summary>
    Malformed,
}
