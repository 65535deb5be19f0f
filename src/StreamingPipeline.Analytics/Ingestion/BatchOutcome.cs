namespace StreamingPipeline.Analytics.Ingestion;

/// <summary>What a store did with a batch.</summary>
/// <param name="Inserted">Rows added to <c>user_events</c>.</param>
/// <param name="Duplicates">Rows ignored because their eventId was already stored.</param>
public readonly record struct BatchOutcome(long Inserted, long Duplicates);
