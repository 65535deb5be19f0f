namespace StreamingPipeline.Processing.State;

/// <summary>The state store cannot be opened or written (an I/O failure of the task); the message is one line naming the directory.</summary>
public sealed class StateStoreException : IOException
{
    /// <summary>Creates the exception.</summary>
    public StateStoreException(string message, Exception? inner = null) : base(message, inner)
    {
    }

    /// <summary>Creates the exception for state this pipeline wrote in another layout (expiry mode or key format).</summary>
    public StateStoreException(string message, bool isOtherLayout) : base(message)
    {
        IsOtherLayout = isOtherLayout;
    }

    /// <summary>The directory holds this pipeline's state in another layout: the caller may delete it and rebuild.</summary>
    public bool IsOtherLayout { get; }
}
