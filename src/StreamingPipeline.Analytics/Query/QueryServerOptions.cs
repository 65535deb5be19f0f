using System.Net;
using Microsoft.AspNetCore.Routing;

namespace StreamingPipeline.Analytics.Query;

/// <summary>Where the query API listens, who may call it and how much one query may cost.</summary>
public sealed record QueryServerOptions
{
    /// <summary>The default listen address: loopback only, Pinot's broker port.</summary>
    public const string DefaultListen = "127.0.0.1:9000";

    /// <summary>The environment variable that supplies the bearer token when no option does.</summary>
    public const string AuthTokenVariable = "PIPELINE_AUTH_TOKEN";

    /// <summary>The address to listen on (port 0 picks a free port).</summary>
    public IPEndPoint Listen { get; init; } = new(IPAddress.Loopback, 9000);

    /// <summary>The bearer token every request must carry; required when <see cref="Listen"/> is not a loopback address.</summary>
    public string? AuthToken { get; init; }

    /// <summary>Timeout and row limit per query.</summary>
    public QueryLimits Limits { get; init; } = QueryLimits.Default;

    /// <summary>How many queries run at once; more wait up to the timeout and are then refused.</summary>
    public int MaxConcurrentQueries { get; init; } = 4;

    /// <summary>Largest request body accepted, in bytes.</summary>
    public long MaxRequestBytes { get; init; } = 1 << 20;

    /// <summary>
    /// More endpoints served on the same address (metrics, health, the web console), mapped after the query API's own;
    /// the bearer token guards them too.
    /// </summary>
    public IReadOnlyList<Action<IEndpointRouteBuilder>> AdditionalEndpoints { get; init; } = [];

    /// <summary>Parses <c>host:port</c> (<c>127.0.0.1:9000</c>, <c>0.0.0.0:9000</c>, <c>[::1]:9000</c>, <c>localhost:9000</c>).</summary>
    public static bool TryParseListen(string text, out IPEndPoint endpoint, out string? error)
    {
        ArgumentNullException.ThrowIfNull(text);
        endpoint = new IPEndPoint(IPAddress.Loopback, 0);
        var colon = text.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(text.AsSpan(colon + 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var port) || port > 65535)
        {
            error = $"'{text}' is not host:port (e.g. 127.0.0.1:9000)";
            return false;
        }
        var host = text[..colon].Trim('[', ']');
        IPAddress? address;
        if (string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase))
        {
            address = IPAddress.Loopback;
        }
        else if (!IPAddress.TryParse(host, out address))
        {
            error = $"'{host}' is not an IP address (use 127.0.0.1, 0.0.0.0 or another address of this machine)";
            return false;
        }
        endpoint = new IPEndPoint(address, port);
        error = null;
        return true;
    }
}
