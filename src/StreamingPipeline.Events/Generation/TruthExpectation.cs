namespace StreamingPipeline.Events.Generation;

/// <summary>How many records with one eventId a correct dedup emits.</summary>
public enum TruthExpectation : byte
{
    /// <summary>Exactly one: never duplicated, or duplicated within the window.</summary>
    Once = 1,

    /// <summary>Two: re-sent after the window had passed, so the re-send counts as new.</summary>
    Twice = 2,

    /// <summary>One or two: re-sent at the window's edge, where the slide buckets decide.</summary>
    OnceOrTwice = 3,
}
