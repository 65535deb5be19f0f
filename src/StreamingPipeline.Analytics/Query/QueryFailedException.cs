namespace StreamingPipeline.Analytics.Query;

/// <summary>A query the database refused or could not finish; the message is the database's, on one line.</summary>
public sealed class QueryFailedException : Exception
{
    /// <summary>Creates the exception with a Pinot error code.</summary>
    public QueryFailedException(int errorCode, string message, Exception? innerException = null)
        : base(message, innerException) => ErrorCode = errorCode;

    /// <summary>Creates an exception with <see cref="QueryErrorCodes.Unknown"/>.</summary>
    public QueryFailedException()
        : this(QueryErrorCodes.Unknown, "query failed")
    {
    }

    /// <summary>Creates an exception with <see cref="QueryErrorCodes.Unknown"/>.</summary>
    public QueryFailedException(string message)
        : this(QueryErrorCodes.Unknown, message)
    {
    }

    /// <summary>Creates an exception with <see cref="QueryErrorCodes.Unknown"/>.</summary>
    public QueryFailedException(string message, Exception innerException)
        : this(QueryErrorCodes.Unknown, message, innerException)
    {
    }

    /// <summary>The Pinot error code (<see cref="QueryErrorCodes"/>).</summary>
    public int ErrorCode { get; }
}
