using System.Diagnostics;

namespace StreamingPipeline.Analytics.Query;

/// <summary>
/// Answers one SQL text with a <see cref="QueryResponse"/>: validates it (<see cref="ReadOnlySqlValidator"/>), runs it
/// on the store within the limits, bounds how many queries run at once, and turns every failure into an entry of
/// <c>exceptions</c> with a one-line message, never an exception to the caller (except the caller's own cancellation).
/// </summary>
public sealed class QueryService : IDisposable
{
    private readonly IQueryStore _store;
    private readonly SemaphoreSlim _slots;

    /// <summary>Creates the service over <paramref name="store"/>; at most <paramref name="maxConcurrentQueries"/> run at once.</summary>
    public QueryService(IQueryStore store, QueryLimits limits, int maxConcurrentQueries = 4)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(limits);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxConcurrentQueries, 1);
        _store = store;
        Limits = limits;
        _slots = new SemaphoreSlim(maxConcurrentQueries, maxConcurrentQueries);
    }

    /// <summary>The timeout and row limit every query gets.</summary>
    public QueryLimits Limits { get; }

    /// <summary>The store the queries run on.</summary>
    public IQueryStore Store => _store;

    /// <summary>Runs <paramref name="sql"/>; failures come back in <see cref="QueryResponse.Exceptions"/>.</summary>
    public async Task<QueryResponse> ExecuteAsync(string? sql, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var refusal = sql is null ? "the request has no \"sql\" field" : ReadOnlySqlValidator.Validate(sql);
        if (refusal is not null)
        {
            return QueryResponse.Failed(QueryErrorCodes.AccessDenied, "query refused: " + refusal, clock.ElapsedMilliseconds);
        }
        if (!await _slots.WaitAsync(Limits.Timeout, cancellationToken).ConfigureAwait(false))
        {
            return QueryResponse.Failed(QueryErrorCodes.ServerOutOfCapacity, "too many queries are running; try again", clock.ElapsedMilliseconds);
        }
        try
        {
            var result = await _store.ExecuteAsync(sql!, Limits, cancellationToken).ConfigureAwait(false);
            return new QueryResponse(result, [], clock.ElapsedMilliseconds);
        }
        catch (QueryFailedException ex)
        {
            return QueryResponse.Failed(ex.ErrorCode, ex.Message, clock.ElapsedMilliseconds);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // A driver failure nobody mapped (a lost connection, a closed database): still one line, never a stack trace.
            return QueryResponse.Failed(QueryErrorCodes.Unknown, DuckDbQueryStore.OneLine(ex.Message), clock.ElapsedMilliseconds);
        }
        finally
        {
            _slots.Release();
        }
    }

    /// <inheritdoc />
    public void Dispose() => _slots.Dispose();
}
