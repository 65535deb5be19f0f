namespace StreamingPipeline.Processing.State;

/// <summary>The state store cannot be opened or written (an I/O failure of the task); the message is one line naming the directory.</summary>
public sealed class StateStoreException : IOException
{
    /// <summary>Creates the exception.</summary>
    public StateStoreException(string message, Exception? inner = null) : base(message, inner)
    {
    }
}
