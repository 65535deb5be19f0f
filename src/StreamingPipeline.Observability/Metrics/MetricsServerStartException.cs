namespace StreamingPipeline.Observability.Metrics;

/// <summary>The metrics server could not start: a non-loopback address without a token, or the port is taken.</summary>
public sealed class MetricsServerStartException : Exception
{
    /// <summary>Creates the exception.</summary>
    public MetricsServerStartException()
    {
    }

    /// <summary>Creates the exception with its one-line reason.</summary>
    public MetricsServerStartException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with its reason and cause.</summary>
    public MetricsServerStartException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
