namespace StreamingPipeline.Broker.Log;

/// <summary>Who is appending, which decides what a batch may contain (Kafka's AppendOrigin).</summary>
internal enum AppendOrigin
{
    /// <summary>A producer's batch from a Produce request: no control batches, base offset must be 0.</summary>
    Client,

    /// <summary>A batch the broker built itself, such as a transaction marker (control batch).</summary>
    Coordinator,
}
