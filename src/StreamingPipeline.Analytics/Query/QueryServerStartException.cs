namespace StreamingPipeline.Analytics.Query;

/// <summary>The query API cannot start as configured (no token for a non-loopback address, the port is taken).</summary>
public sealed class QueryServerStartException : Exception
{
    /// <summary>Creates the exception.</summary>
    public QueryServerStartException()
        : base("the query API could not start")
    {
    }

    /// <summary>Creates the exception with a one-line reason.</summary>
    public QueryServerStartException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a one-line reason and its cause.</summary>
    public QueryServerStartException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
