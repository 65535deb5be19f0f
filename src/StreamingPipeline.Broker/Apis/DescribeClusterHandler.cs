using StreamingPipeline.Broker.Network;
using StreamingPipeline.Protocol;
using StreamingPipeline.Protocol.Messages;

namespace StreamingPipeline.Broker.Apis;

/// <summary>
/// DescribeCluster (key 60), v0-1 (KIP-700): the cluster id, this broker as the only broker and as the controller.
/// Only the broker endpoint type (1) is served; asking for controllers (2, v1) is UNSUPPORTED_ENDPOINT_TYPE, as a
/// broker answers. Authorized operations are not computed (no ACLs): the field keeps Kafka's "not requested" value.
/// </summary>
internal sealed class DescribeClusterHandler(BrokerState broker) : ApiHandler<DescribeClusterRequest, DescribeClusterResponse>
{
    private const sbyte BrokerEndpoint = 1;

    public override short MinVersion => 0;
    public override short MaxVersion => 1;

    protected override ValueTask<DescribeClusterResponse?> HandleAsync(RequestContext context, DescribeClusterRequest request, CancellationToken cancellationToken)
    {
        if (context.ApiVersion >= 1 && request.EndpointType != BrokerEndpoint)
        {
            return ValueTask.FromResult<DescribeClusterResponse?>(new DescribeClusterResponse
            {
                ErrorCode = (short)ErrorCode.UnsupportedEndpointType,
                ErrorMessage = "The request was sent to an endpoint of type BROKER, but we wanted an endpoint of type CONTROLLER",
                EndpointType = request.EndpointType,
            });
        }
        return ValueTask.FromResult<DescribeClusterResponse?>(new DescribeClusterResponse
        {
            ErrorCode = (short)ErrorCode.None,
            EndpointType = BrokerEndpoint,
            ClusterId = broker.ClusterId,
            ControllerId = broker.NodeId,
            Brokers = [new DescribeClusterResponse.DescribeClusterBroker { BrokerId = broker.NodeId, Host = broker.AdvertisedHost, Port = broker.Port, Rack = null }],
        });
    }
}
