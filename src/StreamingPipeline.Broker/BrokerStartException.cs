namespace StreamingPipeline.Broker;

/// <summary>
/// The broker could not start for a reason its operator can fix (port in use, unusable or locked data directory);
/// <see cref="Exception.Message"/> is one line that names the port or the directory.
/// </summary>
public sealed class BrokerStartException : Exception
{
    /// <summary>Creates the exception with a one-line reason.</summary>
    public BrokerStartException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a one-line reason and the failure behind it.</summary>
    public BrokerStartException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception without a reason (prefer the overloads that take one).</summary>
    public BrokerStartException()
    {
    }
}
