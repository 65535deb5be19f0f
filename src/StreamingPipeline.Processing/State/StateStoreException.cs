namespace StreamingPipeline.Processing.State;

/// <summary>The state store cannot be opened or written; the message is one line naming the directory.</summary>
public sealed class StateStoreException : Exception
{
    /// <summary>Creates the exception.</summary>
    public StateStoreException(string message, Exception? inner = null) : base(message, inner)
    {
    }
}
