using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Yarp.ReverseProxy.Model;

namespace Gateway.Config.Nginx;

/// <summary>
/// The nginx front, between routing and the YARP endpoint: picks the virtual server (listen socket + Host), runs the
/// server's rewrite phase (set/if/return), selects the location with nginx's precedence, runs its rewrite phase,
/// answers <c>return</c> itself, and for <c>proxy_pass</c> hands the request to that location's YARP route, so it
/// goes through admission, load balancing, breakers and retries like any other. Does nothing when the running
/// config did not come from nginx.conf.
/// </summary>
internal sealed class NginxFrontMiddleware(RequestDelegate next, ConfigState config, EndpointDataSource endpoints, TimeProvider time)
{
    private volatile RouteIndex? _index;

    public Task InvokeAsync(HttpContext context)
    {
        if (config.Current?.Options.Nginx is not { } site)
        {
            return next(context);
        }

        var request = context.Request;
        var host = request.Host.Host.TrimEnd('.').ToLowerInvariant();
        var state = new NginxRequestState(context, host, MergeSlashes((request.PathBase + request.Path).Value ?? "/"),
            request.QueryString.HasValue ? request.QueryString.Value![1..] : "", time.GetTimestamp());
        context.Features.Set(state);
        if (site.HasAccessLogs)
        {
            var counting = new CountingStream(context.Response.Body);
            context.Response.Body = counting;
            context.Response.OnCompleted(() =>
            {
                state.BodyBytesSent = counting.Written;
                foreach (var log in state.Location?.AccessLogs ?? [])
                {
                    log.Write(state);
                }

                return Task.CompletedTask;
            });
        }

        var server = NginxServerSelector.Select(site, context.Connection.LocalIpAddress, context.Connection.LocalPort, host);
        if (server is null)
        {
            context.Abort();
            return Task.CompletedTask;
        }

        state.Server = server;
        if (server.RealIp is { } realIp
            && realIp.ClientAddress(context.Connection.RemoteIpAddress, request.Headers[realIp.Header].ToString()) is { } client)
        {
            context.Connection.RemoteIpAddress = client;
        }

        state.Location = server.Level;
        if (NginxRewriter.Run(server.Level.Rewrites, state) is { } serverReturn)
        {
            return NginxResponses.ReturnAsync(context, state, serverReturn, server.Level, site.Types);
        }

        var (location, match) = NginxLocationMatcher.Find(server.Locations, state.Uri);
        location ??= server.Level;
        state.Location = location;
        state.Captures = match?.Groups;
        if (!ReferenceEquals(location, server.Level) && NginxRewriter.Run(location.Rewrites, state) is { } locationReturn)
        {
            return NginxResponses.ReturnAsync(context, state, locationReturn, location, site.Types);
        }

        if (location.Proxy is not { } proxy)
        {
            // A location that neither returns nor proxies would serve files from root: not translated, so 404 as
            // nginx answers for a file that is not there.
            return NginxResponses.ErrorPageAsync(context, StatusCodes.Status404NotFound);
        }

        var endpoint = Index().Find(proxy.RouteId);
        if (endpoint is null)
        {
            return NginxResponses.ErrorPageAsync(context, StatusCodes.Status502BadGateway);
        }

        if (proxy.HashKey is { } key)
        {
            context.Features.Set(new LoadBalancing.RequestHashKeyFeature(key.Evaluate(state)));
        }

        if (context.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpUpgradeFeature>() is { IsUpgradableRequest: true } upgrade
            && !SendsUpgrade(location, state))
        {
            context.Features.Set<Microsoft.AspNetCore.Http.Features.IHttpUpgradeFeature>(new NoUpgradeFeature(upgrade));
        }

        // The route is the translator's (metadata NginxLocation): its failures are answered as nginx answers them.
        context.Features.Set<Gateway.Proxy.IUpstreamFailureAnswer>(state);
        context.SetEndpoint(endpoint);
        return next(context);
    }

    private static bool SendsUpgrade(NginxLocation location, NginxRequestState state) =>
        location.ProxySetHeaders.LastOrDefault(h => h.Name.Equals("Upgrade", StringComparison.OrdinalIgnoreCase)) is { } sent
        && sent.Value.Evaluate(state).Length > 0;

    private RouteIndex Index()
    {
        var current = endpoints.Endpoints;
        var index = _index;
        if (index is null || !ReferenceEquals(index.Source, current))
        {
            _index = index = new RouteIndex(current);
        }

        return index;
    }

    /// <summary>nginx merges runs of slashes in the URI (merge_slashes on).</summary>
    private static string MergeSlashes(string path)
    {
        if (!path.Contains("//", StringComparison.Ordinal))
        {
            return path.Length == 0 ? "/" : path;
        }

        var sb = new System.Text.StringBuilder(path.Length);
        foreach (var c in path)
        {
            if (c != '/' || sb.Length == 0 || sb[^1] != '/')
            {
                sb.Append(c);
            }
        }

        return sb.ToString();
    }

    private sealed class RouteIndex(IReadOnlyList<Endpoint> source)
    {
        private readonly Dictionary<string, Endpoint> _byRoute = source
            .Select(e => (Endpoint: e, Route: e.Metadata.GetMetadata<RouteModel>()))
            .Where(p => p.Route is not null)
            .GroupBy(p => p.Route!.Config.RouteId, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.First().Endpoint, StringComparer.Ordinal);

        public IReadOnlyList<Endpoint> Source { get; } = source;

        public Endpoint? Find(string routeId) => _byRoute.GetValueOrDefault(routeId);
    }
}
