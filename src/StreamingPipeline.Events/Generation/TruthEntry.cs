namespace StreamingPipeline.Events.Generation;

/// <summary>One line of the truth file: an eventId and how often a correct dedup emits it.</summary>
/// <param name="EventId">The event.</param>
/// <param name="Expectation">How many output records carry it.</param>
public readonly record struct TruthEntry(Guid EventId, TruthExpectation Expectation);
