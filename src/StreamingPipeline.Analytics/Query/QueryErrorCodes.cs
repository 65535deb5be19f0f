namespace StreamingPipeline.Analytics.Query;

/// <summary>The error codes of Pinot's <c>QueryException</c> that the query API uses in <c>exceptions</c>.</summary>
public static class QueryErrorCodes
{
    /// <summary>The request body is not the expected JSON (<c>{"sql": "..."}</c>).</summary>
    public const int JsonParsing = 100;

    /// <summary>The database could not parse the SQL.</summary>
    public const int SqlParsing = 150;

    /// <summary>The query was refused: it writes, reads files or holds more than one statement.</summary>
    public const int AccessDenied = 180;

    /// <summary>The query names a table or view that does not exist.</summary>
    public const int TableDoesNotExist = 190;

    /// <summary>The database failed while running the query.</summary>
    public const int QueryExecution = 200;

    /// <summary>Too many queries are running; try again.</summary>
    public const int ServerOutOfCapacity = 211;

    /// <summary>The query ran longer than the server's timeout and was cancelled.</summary>
    public const int ExecutionTimeout = 250;

    /// <summary>Anything else; the message says what.</summary>
    public const int Unknown = 1000;
}
