using System.Globalization;
using Gateway.Proxy;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http;
using Yarp.ReverseProxy.Model;

namespace Gateway.RateLimits;

/// <summary>
/// First in YARP's pipeline (the route is known, nothing is admitted or picked yet): a request over one of its rules
/// gets 429 with Retry-After and problem+json and never takes an admission slot or a destination. With no rules this
/// is one reference comparison per request.
/// </summary>
internal sealed class RateLimitMiddleware(RequestDelegate next, ClientLimits limits)
{
    public Task InvokeAsync(HttpContext context)
    {
        var set = limits.Current;
        return set.IsEmpty ? next(context) : LimitAsync(context, set);
    }

    private async Task LimitAsync(HttpContext context, ClientLimitSet set)
    {
        var route = context.GetReverseProxyFeature().Route.Config;
        if (set.Connections.Count > 0 && context.Features.Get<IConnectionItemsFeature>()?.Items is { } items
            && items.TryGetValue(ConnectionLimitMiddleware.ItemKey, out var over) && over is ClientLimit connectionLimit)
        {
            // The connection was one too many for its client: answered, then closed (HTTP/1.1 Connection: close, HTTP/2 GOAWAY).
            context.Features.Get<IConnectionLifetimeNotificationFeature>()?.RequestClose();
            await RejectAsync(context, connectionLimit, LimitKind.Connections, TimeSpan.FromSeconds(1), route.ClusterId);
            return;
        }

        List<IDisposable>? held = null;
        try
        {
            foreach (var limit in set.Requests)
            {
                if (limit.KeyFor(context, route.RouteId) is not { } key)
                {
                    continue;
                }

                var (lease, rejectedBy, retryAfter) = await limit.AcquireAsync(key, context.RequestAborted); // waits only with a Queue
                if (rejectedBy is not null)
                {
                    await RejectAsync(context, limit, rejectedBy, retryAfter, route.ClusterId);
                    return;
                }

                if (lease is not null)
                {
                    (held ??= []).Add(lease);
                }
            }

            await next(context);
        }
        finally
        {
            if (held is not null)
            {
                foreach (var lease in held)
                {
                    lease.Dispose();
                }
            }
        }
    }

    private Task RejectAsync(HttpContext context, ClientLimit limit, string kind, TimeSpan retryAfter, string? cluster)
    {
        limits.RecordRejection(limit, kind);
        var seconds = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds));
        var rule = limit.Rule;
        var what = kind switch
        {
            LimitKind.Rate => string.Create(CultureInfo.InvariantCulture, $"more than {rule.RequestsPerSecond} requests/s (burst {rule.EffectiveBurst})"),
            LimitKind.Concurrency => $"more than {rule.ConcurrentRequests} requests in flight",
            _ => $"more than {rule.Connections} open connections",
        };
        // The key's value is not echoed: a header key is often an API key.
        var by = rule.Key == RateLimitRule.IpKey ? "this client address" : rule.Key == RateLimitRule.RouteKey ? "this route" : $"this {rule.Key[RateLimitRule.HeaderKeyPrefix.Length..]} value";
        return Problems.WriteAsync(context, StatusCodes.Status429TooManyRequests, "Too many requests",
            $"rate limit '{limit.Name}': {what} for {by}; retry after {seconds} s.", cluster, seconds);
    }
}
