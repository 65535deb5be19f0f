using System.Collections;
using System.Collections.Concurrent;
using System.Reflection;
using StreamingPipeline.Protocol;
using StreamingPipeline.Protocol.Messages;

namespace StreamingPipeline.Broker.Network;

/// <summary>
/// The error code a response reports, for the request metrics: its top-level error, else the first non-zero error of
/// its topics or partitions. Produce and Fetch, most of the traffic, are read with typed code; the other responses by
/// a per-type walk of their generated properties, cached once per type (they are rare: commits, metadata, groups).
/// </summary>
internal static class ResponseErrors
{
    private static readonly ConcurrentDictionary<Type, Func<object, short>> Readers = new();

    /// <summary>The first non-zero error code in <paramref name="response"/>, or 0.</summary>
    public static short Of(IKafkaMessage response) => response switch
    {
        ProduceResponse produce => OfProduce(produce),
        FetchResponse fetch => OfFetch(fetch),
        _ => Readers.GetOrAdd(response.GetType(), CreateReader)(response),
    };

    private static short OfProduce(ProduceResponse response)
    {
        foreach (var topic in response.Responses)
        {
            foreach (var partition in topic.PartitionResponses)
            {
                if (partition.ErrorCode != 0)
                {
                    return partition.ErrorCode;
                }
            }
        }
        return 0;
    }

    private static short OfFetch(FetchResponse response)
    {
        if (response.ErrorCode != 0)
        {
            return response.ErrorCode;
        }
        foreach (var topic in response.Responses)
        {
            foreach (var partition in topic.Partitions)
            {
                if (partition.ErrorCode != 0)
                {
                    return partition.ErrorCode;
                }
            }
        }
        return 0;
    }

    private static Func<object, short> CreateReader(Type type)
    {
        var errorCode = type.GetProperty("ErrorCode", BindingFlags.Public | BindingFlags.Instance) is { PropertyType: var t } p && t == typeof(short) ? p : null;
        var children = type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.PropertyType.IsGenericType && p.PropertyType.GetGenericTypeDefinition() == typeof(List<>)
                && typeof(IKafkaMessage).IsAssignableFrom(p.PropertyType.GetGenericArguments()[0]))
            .ToArray();
        return message =>
        {
            if (errorCode is not null && (short)errorCode.GetValue(message)! is var code and not 0)
            {
                return code;
            }
            foreach (var child in children)
            {
                if (child.GetValue(message) is IEnumerable items)
                {
                    foreach (var item in items)
                    {
                        if (item is not null && Readers.GetOrAdd(item.GetType(), CreateReader)(item) is var nested and not 0)
                        {
                            return nested;
                        }
                    }
                }
            }
            return 0;
        };
    }
}
