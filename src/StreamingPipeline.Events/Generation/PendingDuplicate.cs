namespace StreamingPipeline.Events.Generation;

/// <summary>An event waiting to be re-sent: about 70 bytes, so a million pending cost tens of MB.</summary>
internal readonly record struct PendingDuplicate(UserEvent Event, byte[] Key, int Partition);
