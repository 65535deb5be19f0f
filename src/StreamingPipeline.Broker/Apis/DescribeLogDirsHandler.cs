using StreamingPipeline.Broker.Log;
using StreamingPipeline.Broker.Network;
using StreamingPipeline.Protocol;
using StreamingPipeline.Protocol.Messages;

namespace StreamingPipeline.Broker.Apis;

/// <summary>
/// DescribeLogDirs (key 35), v0-4: the broker's one log directory with the size of each partition (all partitions
/// when the topic list is null), offset lag 0 (no replication) and, from v4, the file system's total and usable bytes.
/// Partitions that do not exist are left out, as Kafka does.
/// </summary>
internal sealed class DescribeLogDirsHandler(BrokerState broker) : ApiHandler<DescribeLogDirsRequest, DescribeLogDirsResponse>
{
    public override short MinVersion => 0;
    public override short MaxVersion => 4;

    protected override ValueTask<DescribeLogDirsResponse?> HandleAsync(RequestContext context, DescribeLogDirsRequest request, CancellationToken cancellationToken)
    {
        var requested = request.Topics is null
            ? broker.Logs.Topics.Select(t => (t.Name, Partitions: (IEnumerable<int>)Enumerable.Range(0, t.PartitionCount)))
            : request.Topics.Select(t => (Name: t.Topic, Partitions: (IEnumerable<int>)t.Partitions));
        var result = new DescribeLogDirsResponse.DescribeLogDirsResult { ErrorCode = (short)ErrorCode.None, LogDir = broker.Logs.DataDirectory };
        foreach (var (name, partitions) in requested.OrderBy(t => t.Name, StringComparer.Ordinal))
        {
            var described = new DescribeLogDirsResponse.DescribeLogDirsTopic { Name = name };
            foreach (var index in partitions)
            {
                if (broker.Logs.GetPartition(name, index) is PartitionLog log)
                {
                    described.Partitions.Add(new DescribeLogDirsResponse.DescribeLogDirsPartition { PartitionIndex = index, PartitionSize = log.SizeInBytes, OffsetLag = 0, IsFutureKey = false });
                }
            }
            if (described.Partitions.Count > 0)
            {
                result.Topics.Add(described);
            }
        }
        try
        {
            var drive = new DriveInfo(broker.Logs.DataDirectory);
            result.TotalBytes = drive.TotalSize;
            result.UsableBytes = drive.AvailableFreeSpace;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException)
        {
            // Unknown sizes stay -1, as Kafka reports when it cannot read them.
        }
        return ValueTask.FromResult<DescribeLogDirsResponse?>(new DescribeLogDirsResponse { ErrorCode = (short)ErrorCode.None, Results = [result] });
    }
}
