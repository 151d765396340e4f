using Microsoft.AspNetCore.Http;

namespace Gateway.Proxy;

/// <summary>
/// A request feature of the gateway's own that most gateways never set (an access log's record, a trusted proxy's
/// X-Forwarded-For chain, nginx.conf's failure answer). Looking for one that is not there walks Kestrel's known
/// features, its extra ones and the connection's before it misses, on every request. Until a process has set one,
/// no request can carry it, so the lookup is skipped; after that it is made as before.
/// </summary>
internal static class RareFeature<T>
    where T : class
{
    private static volatile bool s_everSet;

    public static void Set(HttpContext context, T feature)
    {
        if (!s_everSet)
        {
            s_everSet = true; // before the feature is set: a request that finds it finds the flag set too
        }

        context.Features.Set(feature);
    }

    public static T? Get(HttpContext context) => s_everSet ? context.Features.Get<T>() : null;
}
