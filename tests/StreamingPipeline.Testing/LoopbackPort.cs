using System.Net;
using System.Net.Sockets;

namespace StreamingPipeline.Testing;

/// <summary>Free TCP ports on the loopback interface, for processes that must be told their port in advance.</summary>
public static class LoopbackPort
{
    /// <summary>A port nothing listens on right now (the OS picks it, so parallel tests do not collide).</summary>
    public static int Free()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
