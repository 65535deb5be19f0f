namespace StreamingPipeline.Processing.State;

/// <summary>What committed state reflects: the output up to <see cref="OutputOffset"/> and the stream time reached.</summary>
/// <param name="OutputOffset">Offset of the last output record the state includes.</param>
/// <param name="StreamTime">The operator's stream time (epoch ms) after that record.</param>
public readonly record struct StateCheckpoint(long OutputOffset, long StreamTime);
