using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace StreamingPipeline.Analytics.Query;

/// <summary>
/// Calls a query API (this project's or Pinot's broker) with <c>POST /query/sql</c>. Query errors come back in the
/// response's <c>exceptions</c>; failing to get an answer at all (unreachable, 401, not Pinot-shaped) throws
/// <see cref="QueryFailedException"/> with a one-line reason.
/// </summary>
public sealed class QueryApiClient : IDisposable
{
    private readonly HttpClient _http;
    private readonly Uri _endpoint;

    /// <summary>Creates a client for the API at <paramref name="baseUrl"/>, sending <paramref name="authToken"/> when given.</summary>
    public QueryApiClient(Uri baseUrl, string? authToken, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(baseUrl);
        _endpoint = new Uri(baseUrl.AbsoluteUri.EndsWith('/') ? baseUrl : new Uri(baseUrl.AbsoluteUri + "/"), "query/sql");
        _http = new HttpClient { Timeout = timeout };
        if (!string.IsNullOrEmpty(authToken))
        {
            _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", authToken);
        }
    }

    /// <summary>Sends <paramref name="sql"/> and returns the broker's response.</summary>
    public async Task<QueryResponse> QueryAsync(string sql, CancellationToken cancellationToken)
    {
        using var content = new StringContent(JsonSerializer.Serialize(new Dictionary<string, string> { ["sql"] = sql }), Encoding.UTF8, "application/json");
        HttpResponseMessage response;
        try
        {
            response = await _http.PostAsync(_endpoint, content, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException ex)
        {
            throw new QueryFailedException(QueryErrorCodes.Unknown, $"cannot reach the query API at {_endpoint}: {ex.Message}", ex);
        }
        catch (TaskCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            throw new QueryFailedException(QueryErrorCodes.ExecutionTimeout, $"the query API at {_endpoint} did not answer within {_http.Timeout.TotalSeconds:0.#} s", ex);
        }
        using (response)
        {
            if (response.StatusCode == HttpStatusCode.Unauthorized)
            {
                throw new QueryFailedException(QueryErrorCodes.AccessDenied, $"the query API at {_endpoint} refused the request (401): pass the right --auth-token or set {QueryServerOptions.AuthTokenVariable}");
            }
            var body = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                using var document = JsonDocument.Parse(body);
                return PinotResponseJson.Read(document.RootElement);
            }
            catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException)
            {
                throw new QueryFailedException(QueryErrorCodes.Unknown, $"the query API at {_endpoint} answered HTTP {(int)response.StatusCode} without a Pinot response", ex);
            }
        }
    }

    /// <inheritdoc />
    public void Dispose() => _http.Dispose();
}
