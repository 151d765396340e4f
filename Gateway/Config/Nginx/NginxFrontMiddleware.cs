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
internal sealed class NginxFrontMiddleware(RequestDelegate next, ConfigState config, EndpointDataSource endpoints, TimeProvider time,
    AccessLog.AccessLogWriter accessLogs, LoadBalancing.NginxPeerMarks peerMarks)
{
    private volatile RouteIndex? _index;

    public Task InvokeAsync(HttpContext context) =>
        config.Current?.Options.Nginx is { } site ? FrontAsync(context, site) : next(context);

    /// <summary>
    /// A request under nginx.conf. A method of its own: the access-log callback's closure is made at the start of the
    /// method that declares what it captures, and in InvokeAsync that cost every request without nginx.conf ~30 bytes.
    /// </summary>
    private Task FrontAsync(HttpContext context, NginxSite site)
    {
        var request = context.Request;
        var host = request.Host.Host.TrimEnd('.').ToLowerInvariant();
        var state = new NginxRequestState(context, host, MergeSlashes((request.PathBase + request.Path).Value ?? "/"),
            request.QueryString.HasValue ? request.QueryString.Value![1..] : "", time.GetTimestamp());
        context.Features.Set(state);
        state.ErrorLog = NginxErrorLog.For(site);
        if (site.HasAccessLogs)
        {
            var counting = new CountingStream(context.Response.Body);
            context.Response.Body = counting;
            context.Response.OnCompleted(() =>
            {
                state.BodyBytesSent = counting.Written;
                foreach (var log in state.Location?.AccessLogs ?? [])
                {
                    log.Write(state, accessLogs);
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
        if (!request.IsHttps && Tls.PlainHttpOnTlsMiddleware.IsPlainOnTls(context))
        {
            return PlainHttpOnTlsAsync(context, state, site, server);
        }

        if (server.RealIp is { } realIp
            && realIp.ClientAddress(context.Connection.RemoteIpAddress, request.Headers[realIp.Header].ToString()) is { } client)
        {
            context.Connection.RemoteIpAddress = client;
        }

        return ServerAsync(context, state, site, server);
    }

    /// <summary>
    /// Plain HTTP on an ssl socket: nginx's 497 once the request head is read, before any phase (so only a server- or
    /// http-level <c>error_page 497</c> applies, typically a redirect to https), always with Connection: close.
    /// </summary>
    private Task PlainHttpOnTlsAsync(HttpContext context, NginxRequestState state, NginxSite site, NginxServer server)
    {
        state.Location = server.Level;
        context.Features.Get<Microsoft.AspNetCore.Connections.Features.IConnectionLifetimeNotificationFeature>()?.RequestClose();
        return ErrorAsync(context, state, site, server, NginxResponses.PlainHttpOnTlsPort);
    }

    /// <summary>The server's rewrite phase, then the location for the URI (again after an internal redirect).</summary>
    private Task ServerAsync(HttpContext context, NginxRequestState state, NginxSite site, NginxServer server)
    {
        state.Location = server.Level;
        if (NginxRewriter.Run(server.Level.Rewrites, state) is { } serverReturn)
        {
            return ReturnAsync(context, state, site, server, serverReturn, server.Level);
        }

        var (location, match) = NginxLocationMatcher.Find(server.Locations, state.Uri);
        state.Captures = match?.Groups;
        return LocationAsync(context, state, site, server, location ?? server.Level);
    }

    private Task LocationAsync(HttpContext context, NginxRequestState state, NginxSite site, NginxServer server, NginxLocation location)
    {
        state.Location = location;
        if (!ReferenceEquals(location, server.Level) && NginxRewriter.Run(location.Rewrites, state) is { } locationReturn)
        {
            return ReturnAsync(context, state, site, server, locationReturn, location);
        }

        return location.Limits.Count > 0 ? LimitedAsync(context, state, site, server, location) : ContentAsync(context, state, site, server, location);
    }

    /// <summary>nginx's preaccess phase: limit_req, limit_conn (after rewrite and return, before the content).</summary>
    private async Task LimitedAsync(HttpContext context, NginxRequestState state, NginxSite site, NginxServer server, NginxLocation location)
    {
        var status = await NginxLimiter.CheckAsync(context, state, location.Limits);
        await (status != 0 ? ErrorAsync(context, state, site, server, status) : ContentAsync(context, state, site, server, location));
    }

    /// <summary>The content phase: proxy_pass, else static files.</summary>
    private Task ContentAsync(HttpContext context, NginxRequestState state, NginxSite site, NginxServer server, NginxLocation location)
    {
        if (location.Proxy is not { } proxy)
        {
            return StaticAsync(context, state, site, server, location); // neither returns nor proxies: files from root
        }

        var endpoint = Index().Find(proxy.RouteId);
        if (endpoint is null)
        {
            return ErrorAsync(context, state, site, server, StatusCodes.Status502BadGateway);
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
        Gateway.Proxy.RareFeature<Gateway.Proxy.IUpstreamFailureAnswer>.Set(context, state);
        state.PeerMarks = peerMarks;
        context.SetEndpoint(endpoint);
        var proxied = next(context);
        return location.ErrorPages.Count == 0 ? proxied : AfterProxyAsync(proxied, context, state, site, server);
    }

    private async Task StaticAsync(HttpContext context, NginxRequestState state, NginxSite site, NginxServer server, NginxLocation location)
    {
        var outcome = await NginxStaticFiles.ServeAsync(context, state, location, site.Types);
        if (outcome.IndexUri is { } index)
        {
            // The index module's internal redirect: the new URI finds its location again.
            state.Uri = index;
            state.Redirected = true;
            await ServerAsync(context, state, site, server);
        }
        else if (outcome.Status == StatusCodes.Status301MovedPermanently)
        {
            NginxResponses.AddHeaders(context, state, location.AddHeaders);
            await NginxResponses.ErrorPageAsync(context, outcome.Status);
        }
        else if (outcome.Status != 0)
        {
            await ErrorAsync(context, state, site, server, outcome.Status);
            if (outcome.Status == StatusCodes.Status412PreconditionFailed)
            {
                // nginx's not-modified filter ends a failed precondition through ngx_http_filter_finalize_request, which
                // sends the page (still saying keep-alive) and then closes the connection: finish the answer, then let
                // Kestrel end the connection instead of reading the next request.
                await context.Response.CompleteAsync();
                context.Features.Get<Microsoft.AspNetCore.Connections.Features.IConnectionLifetimeNotificationFeature>()?.RequestClose();
            }
        }
    }

    /// <summary>An answer the proxy pipeline left to the front (an intercepted status, a failure): its error_page.</summary>
    private async Task AfterProxyAsync(Task proxied, HttpContext context, NginxRequestState state, NginxSite site, NginxServer server)
    {
        await proxied;
        if (state.PendingError is var status and not 0 && !context.Response.HasStarted)
        {
            state.PendingError = 0;
            await ErrorAsync(context, state, site, server, status);
        }
    }

    /// <summary><c>return</c>: a bare error code goes through error_page like nginx's own errors.</summary>
    private Task ReturnAsync(HttpContext context, NginxRequestState state, NginxSite site, NginxServer server, NginxReturn ret, NginxLocation level) =>
        ret.Text is null && ret.Code is >= 400 and not 444 && state.HasErrorPage(ret.Code)
            ? ErrorAsync(context, state, site, server, ret.Code)
            : NginxResponses.ReturnAsync(context, state, ret, level, site.Types);

    /// <summary>
    /// An error status: the location's error_page for it (once: recursive_error_pages off), else nginx's page. A path is an
    /// internal redirect (the method becomes GET unless HEAD, the server's and the new location's phases run again), a
    /// <c>@name</c> runs that location as it is, a URL is a 302 (or the 30x given with <c>=</c>).
    /// </summary>
    private Task ErrorAsync(HttpContext context, NginxRequestState state, NginxSite site, NginxServer server, int status)
    {
        var page = state.ErrorPageUsed ? null : state.Location?.ErrorPageFor(status);
        if (page is null)
        {
            return NginxResponses.UpstreamErrorAsync(context, state, status);
        }

        state.ErrorPageUsed = true;
        var target = page.Uri.Evaluate(state);
        context.Response.Clear();
        if (!target.StartsWith('/') && !target.StartsWith('@'))
        {
            var code = page.Overwrite is 301 or 302 or 303 or 307 or 308 ? page.Overwrite : StatusCodes.Status302Found;
            context.Response.StatusCode = code;
            NginxResponses.AddHeaders(context, state, state.Location!.AddHeaders);
            context.Response.Headers.Location = target;
            return NginxResponses.ErrorPageAsync(context, code);
        }

        // Without "=code" the page keeps the status, but nginx's own 494-497 become 400 (ngx_http_core_error_page).
        var overwrite = page.Overwrite >= 0 ? page.Overwrite : status is >= 494 and <= 497 ? StatusCodes.Status400BadRequest : status;
        if (overwrite > 0)
        {
            if (state.StatusOverride == 0)
            {
                context.Response.OnStarting(static s =>
                {
                    var st = (NginxRequestState)s;
                    var response = st.Context.Response;
                    response.StatusCode = st.StatusOverride;
                    if (st.StatusOverride is not (200 or 206 or 304))
                    {
                        // nginx's header filter: Last-Modified only with 200/206/304; Accept-Ranges only on 200.
                        response.Headers.Remove("Last-Modified");
                        response.Headers.Remove("Accept-Ranges");
                    }

                    return Task.CompletedTask;
                }, state);
            }

            state.StatusOverride = overwrite;
        }

        // What the first pass through the proxy left behind must not be taken for the next one's.
        context.Features.Set<Yarp.ReverseProxy.Forwarder.IForwarderErrorFeature>(null);
        context.Features.Set<Gateway.Proxy.CapLease>(null);
        context.Features.Set<Microsoft.AspNetCore.Http.Features.IRequestBodyPipeFeature>(null);
        context.Features.Set<LoadBalancing.RequestHashKeyFeature>(null);
        if (target.StartsWith('@'))
        {
            return server.Named.TryGetValue(target, out var named)
                ? LocationAsync(context, state, site, server, named)
                : NginxResponses.UpstreamErrorAsync(context, state, StatusCodes.Status500InternalServerError); // nginx: named location not found
        }

        var question = target.IndexOf('?', StringComparison.Ordinal);
        state.Uri = question < 0 ? target : target[..question];
        state.Args = question < 0 ? "" : target[(question + 1)..];
        state.Redirected = true;
        if (!HttpMethods.IsHead(context.Request.Method))
        {
            context.Request.Method = HttpMethods.Get;
        }

        return ServerAsync(context, state, site, server);
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
