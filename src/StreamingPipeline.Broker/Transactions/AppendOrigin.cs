namespace StreamingPipeline.Broker.Transactions;

/// <summary>Who is appending a batch, which decides how much of it producer state validates (as Kafka's AppendOrigin).</summary>
public enum AppendOrigin
{
    /// <summary>A Produce request: epochs and sequences are checked, control batches are refused.</summary>
    Client,

    /// <summary>The broker itself writing transaction markers: epochs are checked, sequences are not.</summary>
    Coordinator,
}
