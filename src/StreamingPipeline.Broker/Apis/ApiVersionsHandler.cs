using StreamingPipeline.Broker.Network;
using StreamingPipeline.Protocol;
using StreamingPipeline.Protocol.Messages;

namespace StreamingPipeline.Broker.Apis;

/// <summary>
/// ApiVersions (key 18), v0-3. Lists exactly the registered handlers' ranges. A request of a higher version is
/// answered by the connection with a v0 UNSUPPORTED_VERSION response carrying the same list (KIP-511).
/// </summary>
internal sealed class ApiVersionsHandler(Func<RequestDispatcher> dispatcher) : ApiHandler<ApiVersionsRequest, ApiVersionsResponse>
{
    public override short MinVersion => 0;
    public override short MaxVersion => 3;

    protected override ValueTask<ApiVersionsResponse?> HandleAsync(RequestContext context, ApiVersionsRequest request, CancellationToken cancellationToken) =>
        ValueTask.FromResult<ApiVersionsResponse?>(new ApiVersionsResponse
        {
            ErrorCode = (short)ErrorCode.None,
            ApiKeys = dispatcher().ApiVersionList(),
        });
}
