using System.Net;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.RateLimits;

/// <summary>
/// Kestrel connection middleware (before TLS) counting open connections per peer address for rules with Connections
/// (HAProxy <c>src_conn_cur</c>). A connection over the limit is not refused at once: it is marked, and its first
/// request gets 429 with problem+json and the connection is closed, so the client learns why.
/// The peer address is the socket's: behind a load balancer every connection is the balancer's.
/// </summary>
internal sealed class ConnectionLimitMiddleware(ClientLimits limits)
{
    public const string ItemKey = "LbProxy.ConnectionLimit";

    /// <summary>Runs on every proxy endpoint (those of --urls and of LbProxy.Listeners); register before the listeners.</summary>
    public static void Register(KestrelServerOptions kestrel)
    {
        var middleware = new ConnectionLimitMiddleware(kestrel.ApplicationServices.GetRequiredService<ClientLimits>());
        kestrel.ConfigureEndpointDefaults(listen => listen.Use(next => connection => middleware.OnConnectionAsync(connection, next)));
    }

    public async Task OnConnectionAsync(ConnectionContext connection, ConnectionDelegate next)
    {
        var set = limits.Current;
        if (set.Connections.Count == 0 || connection.RemoteEndPoint is not IPEndPoint peer)
        {
            await next(connection);
            return;
        }

        var counted = new List<ClientLimit>(set.Connections.Count);
        foreach (var limit in set.Connections)
        {
            if (limit.TryOpenConnection(peer.Address))
            {
                counted.Add(limit);
            }
            else if (!connection.Items.ContainsKey(ItemKey))
            {
                connection.Items[ItemKey] = limit;
            }
        }

        try
        {
            await next(connection);
        }
        finally
        {
            foreach (var limit in counted)
            {
                limit.CloseConnection(peer.Address);
            }
        }
    }
}
