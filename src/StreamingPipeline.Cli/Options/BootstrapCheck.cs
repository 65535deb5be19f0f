using System.Net.Sockets;

namespace StreamingPipeline.Cli.Options;

/// <summary>
/// Tells in a few seconds, with one line naming the address, that no broker answers at the bootstrap servers;
/// the Kafka client would instead retry for its whole timeout and log every attempt.
/// </summary>
public static class BootstrapCheck
{
    /// <summary>How long one address gets to accept a TCP connection.</summary>
    public static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(5);

    /// <summary>Null when some address in <paramref name="bootstrapServers"/> accepts a connection, else why none did.</summary>
    public static async Task<string?> FindProblemAsync(string bootstrapServers, CancellationToken cancellationToken)
    {
        var reasons = new List<string>();
        foreach (var server in bootstrapServers.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var colon = server.LastIndexOf(':');
            if (colon <= 0 || !int.TryParse(server[(colon + 1)..], out var port) || port is < 1 or > 65535)
            {
                return $"bootstrap server '{server}' is not host:port.";
            }
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(ConnectTimeout);
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(server[..colon].Trim('[', ']'), port, timeout.Token);
                return null;
            }
            catch (SocketException ex)
            {
                reasons.Add($"{server} ({Describe(ex)})");
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                reasons.Add($"{server} (no answer within {ConnectTimeout.TotalSeconds:0}s)");
            }
        }
        return reasons.Count == 0
            ? "no bootstrap server given."
            : $"cannot reach a Kafka broker at {string.Join(", ", reasons)}; is the broker running (pipeline broker or pipeline up)?";
    }

    private static string Describe(SocketException ex) => ex.SocketErrorCode switch
    {
        SocketError.ConnectionRefused => "connection refused",
        SocketError.HostNotFound or SocketError.NoData or SocketError.TryAgain => "unknown host",
        SocketError.TimedOut => "timed out",
        SocketError.NetworkUnreachable or SocketError.HostUnreachable => "unreachable",
        _ => ex.Message,
    };
}
